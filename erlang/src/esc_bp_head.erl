%% Clause heads → match-spec heads: a function clause (Erlang abstract code from the debug info)
%% as the head and guards of a match-spec clause, with the match-spec expression of each variable.
%%
%% Literals, tuples, lists and map/struct patterns stay in the head with the clause's variables as
%% '$N'; what a head cannot say (an alias `%S{} = state`, a binary, a non-literal map key) becomes
%% guard tests on the argument's '$N' (is_tuple/size/element, is_map/is_map_key/map_get, hd/tl),
%% so every named variable has a match-spec expression a condition can use (esc_bp_guard). The
%% clause's own guard is translated too, so a match-spec clause only matches the arguments its
%% function clause would take; what cannot be translated makes the head inexact (the agent then
%% re-checks the clause with esc_bp_bind).
-module(esc_bp_head).

-export([head/2]).

-export_type([head/0]).

%% A function clause as match-spec material: head term, guard disjuncts (each a list of tests;
%% [[]] = none), the match-spec expression of each source name, and whether it is exact (false:
%% the head/guard accept more than the clause; the agent re-checks with esc_bp_bind).
-type head() :: #{head := list(), guards := [[term()]], names := #{binary() => term()},
                  exact := boolean()}.

%% Translates a function clause (Erlang abstract code) into match-spec material.
-spec head(esc_bp_resolve:lang(), tuple()) -> head().
head(Lang, {clause, _, Pats, Guards, _}) ->
    put(esc_bp_exact, true),
    St0 = #{n => 1, vars => #{}, tests => []},
    {Head, St1} = lists:foldl(fun(P, {Acc, St}) ->
                                      {H, St2} = hd_pat(P, St),
                                      {[H | Acc], St2}
                              end, {[], St0}, Pats),
    #{vars := Vars, tests := Tests} = St1,
    GuardAlts = case Guards of
                    [] -> [[]];
                    _ -> [G || Conj <- Guards, G <- [guard_conj(Conj, Vars)], G =/= drop]
                end,
    Alts = case GuardAlts of [] -> [[]]; _ -> GuardAlts end,
    Exact = erase(esc_bp_exact) andalso length(Alts) =:= max(1, length(Guards)),
    Names = maps:from_list([{N, E} || {V, E} <- lists:sort(fun({_, E1}, {_, E2}) -> order(E1) =< order(E2) end,
                                                          maps:to_list(Vars)),
                                      N <- [esc_bp_resolve:source_name(Lang, V)], N =/= none]),
    #{head => lists:reverse(Head), guards => [lists:reverse(Tests) ++ G || G <- Alts],
      names => Names, exact => Exact}.

order(E) -> erts_debug:flat_size(E).

inexact() -> put(esc_bp_exact, false).

fresh(#{n := N} = St) ->
    {list_to_atom([$$ | integer_to_list(N)]), St#{n := N + 1}}.

test(T, #{tests := Ts} = St) -> St#{tests := [T | Ts]}.

%% Head mode: returns the head term.
hd_pat({var, _, '_'}, St) -> {'_', St};
hd_pat({var, _, V}, #{vars := Vars} = St) ->
    case maps:find(V, Vars) of
        {ok, E} when is_atom(E) -> {E, St};
        {ok, E} ->
            {X, St2} = fresh(St),
            {X, test({'=:=', X, E}, St2)};
        error ->
            {X, St2} = fresh(St),
            {X, St2#{vars := Vars#{V => X}}}
    end;
hd_pat({nil, _}, St) -> {[], St};
hd_pat({cons, _, H, T}, St) ->
    {H2, St2} = hd_pat(H, St),
    {T2, St3} = hd_pat(T, St2),
    {[H2 | T2], St3};
hd_pat({tuple, _, Es}, St) ->
    {Es2, St2} = lists:mapfoldl(fun hd_pat/2, St, Es),
    {list_to_tuple(Es2), St2};
hd_pat({map, _, Assocs} = P, St) ->
    case lists:all(fun({map_field_exact, _, K, _}) -> const(K) =/= error; (_) -> false end, Assocs) of
        true ->
            {Pairs, St2} = lists:mapfoldl(fun({map_field_exact, _, K, V}, S) ->
                                                  {ok, KV} = const(K),
                                                  {V2, S2} = hd_pat(V, S),
                                                  {{KV, V2}, S2}
                                          end, St, Assocs),
            {maps:from_list(Pairs), St2};
        false -> via_guard(P, St)
    end;
hd_pat({match, _, A, B}, St) ->
    %% An alias: one '$N' for the position, both sides as guard tests on it.
    {X, St2} = case {A, B} of
                   {{var, _, V}, _} when V =/= '_' -> hd_pat(A, St);
                   {_, {var, _, V}} when V =/= '_' -> hd_pat(B, St);
                   _ -> fresh(St)
               end,
    {X, gd_pat(B, X, gd_pat(A, X, St2))};
hd_pat(P, St) ->
    case const(P) of
        {ok, V} when is_atom(V) ->
            %% Atoms like '$1' or '_' would be read as match-spec variables: test them in the guard.
            case atom_to_list(V) of
                [C | _] when C =:= $$; C =:= $_ -> via_guard(P, St);
                _ -> {V, St}
            end;
        {ok, V} when is_binary(V); is_number(V) -> {V, St};
        {ok, V} -> {V, St};
        error -> via_guard(P, St)
    end.

via_guard(P, St) ->
    {X, St2} = fresh(St),
    {X, gd_pat(P, X, St2)}.

%% Guard mode: tests that the value at expression E matches pattern P; binds P's variables to
%% expressions over E.
gd_pat({var, _, '_'}, _E, St) -> St;
gd_pat({var, _, V}, E, #{vars := Vars} = St) ->
    case maps:find(V, Vars) of
        {ok, E} -> St;
        {ok, Other} -> test({'=:=', E, Other}, St);
        error -> St#{vars := Vars#{V => E}}
    end;
gd_pat({nil, _}, E, St) -> test({'=:=', E, []}, St);
gd_pat({cons, _, H, T}, E, St) ->
    St2 = test({'=/=', E, []}, test({is_list, E}, St)),
    gd_pat(T, {tl, E}, gd_pat(H, {hd, E}, St2));
gd_pat({tuple, _, Es}, E, St) ->
    St2 = test({'==', {size, E}, length(Es)}, test({is_tuple, E}, St)),
    {_, St3} = lists:foldl(fun(P, {I, S}) -> {I + 1, gd_pat(P, {element, I, E}, S)} end, {1, St2}, Es),
    St3;
gd_pat({map, _, []}, E, St) ->
    test({is_map, E}, St);
gd_pat({map, _, Assocs}, E, St) ->
    %% map_get raises on a non-map or a missing key, which fails the match-spec clause: only a
    %% key whose value is not tested further needs its own is_map_key test.
    lists:foldl(fun({map_field_exact, _, K, V}, S) ->
                        case const(K) of
                            {ok, KV} ->
                                Get = {map_get, {const, KV}, E},
                                case V of
                                    {var, _, _} -> gd_pat(V, Get, test({is_map_key, {const, KV}, E}, S));
                                    _ -> gd_pat(V, Get, S)
                                end;
                            error -> inexact(), S
                        end;
                   (_, S) -> inexact(), S
                end, St, Assocs);
gd_pat({match, _, A, B}, E, St) ->
    gd_pat(B, E, gd_pat(A, E, St));
gd_pat(P, E, St) ->
    case const(P) of
        {ok, V} -> test({'=:=', E, {const, V}}, St);
        error -> inexact(), St
    end.

%% The value of a constant pattern/expression (literals, literal binaries, negative numbers).
const({integer, _, I}) -> {ok, I};
const({char, _, C}) -> {ok, C};
const({float, _, F}) -> {ok, F};
const({atom, _, A}) -> {ok, A};
const({string, _, S}) -> {ok, S};
const({nil, _}) -> {ok, []};
const({op, _, '-', X}) -> case const(X) of {ok, N} when is_number(N) -> {ok, -N}; _ -> error end;
const({bin, _, _} = B) ->
    try erl_eval:expr(B, erl_eval:new_bindings()) of
        {value, V, _} -> {ok, V}
    catch _:_ -> error
    end;
const({tuple, _, Es}) ->
    Vs = [const(X) || X <- Es],
    case lists:member(error, Vs) of true -> error; false -> {ok, list_to_tuple([V || {ok, V} <- Vs])} end;
const({cons, _, H, T}) ->
    case {const(H), const(T)} of {{ok, HV}, {ok, TV}} -> {ok, [HV | TV]}; _ -> error end;
const(_) -> error.

%% One conjunction of the clause's guard; drop = contains something we cannot translate (the
%% clause then matches more than the function clause would: not exact).
guard_conj(Tests, Vars) ->
    try [gexpr(T, Vars) || T <- Tests]
    catch throw:_ -> inexact(), []
    end.

gexpr({var, _, V}, Vars) ->
    case maps:find(V, Vars) of {ok, E} -> E; error -> throw(unbound) end;
gexpr({op, _, Op, A, B}, Vars) ->
    esc_bp_guard:guard_function(Op) orelse throw(unsupported),
    {Op, gexpr(A, Vars), gexpr(B, Vars)};
gexpr({op, _, Op, A}, Vars) ->
    case {Op, gexpr(A, Vars)} of
        {'-', N} when is_number(N) -> -N;
        {_, E} when Op =:= 'not'; Op =:= '-'; Op =:= '+'; Op =:= 'bnot' -> {Op, E};
        _ -> throw(unsupported)
    end;
gexpr({call, _, {remote, _, {atom, _, erlang}, {atom, _, F}}, As}, Vars) -> gcall(F, As, Vars);
gexpr({call, _, {atom, _, F}, As}, Vars) -> gcall(F, As, Vars);
gexpr({integer, _, I}, _) -> I;
gexpr({float, _, F}, _) -> F;
gexpr({tuple, _, Es}, Vars) -> {list_to_tuple([gexpr(E, Vars) || E <- Es])};
gexpr(X, _) ->
    case const(X) of
        {ok, V} -> {const, V};
        error -> throw(unsupported)
    end.

gcall(F, As, Vars) ->
    Args = [gexpr(A, Vars) || A <- As],
    esc_bp_guard:guard_function(F) orelse throw(unsupported),
    esc_bp_guard:ms_call(F, Args).
