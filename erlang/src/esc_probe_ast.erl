%% Where line probes go in a function clause's Erlang abstract code, and which variables each one
%% can see. Shared by esc_bp_resolve (which lines of a body "have code") and esc_probe (which
%% inserts the probes), so that both agree by construction.
%%
%% Rules (conservative on purpose: a probe must never change what the code does or make the
%% module fail to compile):
%% - a probe goes before an expression of a body sequence (function clause, case/receive/if/try
%%   clause, fun clause, begin-block) whose line differs from the previous expression's line and
%%   from the enclosing statement's line (one probe per source line and sequence), and which is
%%   not compiler-generated (Elixir's generated cases for `state.balance` etc. carry the statement's
%%   line anyway);
%% - the last expression stays last, so return values and tail calls are unchanged;
%% - the variables passed are those certainly bound at that point: the clause's pattern variables,
%%   the enclosing scopes' ones, and those bound by earlier `Pattern = Expr` statements of the same
%%   sequence. Variables bound deeper inside an earlier statement are left out (never unsafe).
%% Comprehension bodies are not probed (they are not sequences).
-module(esc_probe_ast).

-export([clause/3, pattern_vars/1, line/1]).

-export_type([probe_fun/0, site/0]).

%% Called for each probe site with its line and the bound variables (binding order, oldest first);
%% returns the expression to insert, or none.
-type probe_fun() :: fun((pos_integer(), [atom()]) -> erl_parse:abstract_expr() | none).
-type site() :: #{line := pos_integer(), vars := [atom()]}.

%% Instruments one function clause: returns the clause with probes inserted and the sites, in
%% source order.
-spec clause(tuple(), pos_integer() | 0, probe_fun()) -> {tuple(), [site()]}.
clause({clause, A, Head, Guard, Body}, HeadLine, Fun) ->
    put(esc_probe_sites, []),
    Bound = pattern_vars(Head),
    Body2 = seq(Body, Bound, HeadLine, Fun),
    Sites = lists:reverse(erase(esc_probe_sites)),
    {{clause, A, Head, Guard, Body2}, Sites}.

%% Line of an abstract node (0 when unknown).
-spec line(tuple()) -> non_neg_integer().
line(Node) ->
    try erl_anno:line(element(2, Node)) of
        L when is_integer(L), L > 0 -> L;
        _ -> 0
    catch _:_ -> 0
    end.

%% A statement's line: its own, else (Elixir leaves literals such as a 2-tuple `{:noreply, x}`
%% without a line) the smallest line inside it, so the statement gets its probe and the cases
%% Elixir generates inside it (`state.entries`) do not.
stmt_line(E) ->
    case line(E) of
        0 -> deep_line(E);
        L -> L
    end.

deep_line(T) when is_tuple(T), tuple_size(T) >= 2 ->
    case line(T) of
        0 -> min_line([deep_line(X) || X <- tl(tl(tuple_to_list(T)))]);
        L -> L
    end;
deep_line(Xs) when is_list(Xs) -> min_line([deep_line(X) || X <- Xs]);
deep_line(_) -> 0.

min_line(Ls) ->
    case [L || L <- Ls, is_integer(L), L > 0] of
        [] -> 0;
        Pos -> lists:min(Pos)
    end.

generated(Node) ->
    try erl_anno:generated(element(2, Node)) catch _:_ -> false end.

seq(Exprs, Bound, Last, Fun) ->
    seq(Exprs, Bound, Last, Last, Fun).

seq([], _Bound, _Outer, _Last, _Fun) -> [];
seq([E | Rest], Bound, Outer, Last, Fun) ->
    L = stmt_line(E),
    {Probe, Last2} =
        case L > 0 andalso L =/= Last andalso L =/= Outer andalso not generated(E) of
            true ->
                put(esc_probe_sites, [#{line => L, vars => Bound} | get(esc_probe_sites)]),
                case Fun(L, Bound) of
                    none -> {[], L};
                    P -> {[P], L}
                end;
            false -> {[], case L > 0 of true -> L; false -> Last end}
        end,
    %% Nested sequences compare with this statement's line.
    Nested = case L > 0 of true -> L; false -> Outer end,
    E2 = walk(E, Bound, Nested, Fun),
    Bound2 = add(Bound, bound_by(E)),
    Probe ++ [E2 | seq(Rest, Bound2, Outer, Last2, Fun)].

cl({clause, A, Head, Guard, Body}, Bound, Outer, Fun) ->
    B2 = add(Bound, pattern_vars(Head)),
    {clause, A, Head, Guard, seq(Body, B2, Outer, Fun)}.

walk({'case', A, E, Cs}, B, L, F) ->
    {'case', A, walk(E, B, L, F), [cl(C, B, L, F) || C <- Cs]};
walk({'receive', A, Cs}, B, L, F) ->
    {'receive', A, [cl(C, B, L, F) || C <- Cs]};
walk({'receive', A, Cs, T, After}, B, L, F) ->
    {'receive', A, [cl(C, B, L, F) || C <- Cs], walk(T, B, L, F), seq(After, B, L, F)};
walk({'try', A, Body, Of, Catch, After}, B, L, F) ->
    {'try', A, seq(Body, B, L, F), [cl(C, B, L, F) || C <- Of], [cl(C, B, L, F) || C <- Catch],
     seq(After, B, L, F)};
walk({'if', A, Cs}, B, L, F) ->
    {'if', A, [cl(C, B, L, F) || C <- Cs]};
walk({block, A, Es}, B, L, F) ->
    {block, A, seq(Es, B, L, F)};
walk({'fun', A, {clauses, Cs}}, B, L, F) ->
    {'fun', A, {clauses, [cl(C, B, L, F) || C <- Cs]}};
walk({named_fun, A, Name, Cs}, B, L, F) ->
    {named_fun, A, Name, [cl(C, add(B, [Name]), L, F) || C <- Cs]};
walk({match, A, P, E}, B, L, F) ->
    {match, A, P, walk(E, B, L, F)};
walk({Comp, _, _, _} = E, _B, _L, _F) when Comp =:= lc; Comp =:= bc; Comp =:= mc ->
    E;
walk(T, B, L, F) when is_tuple(T), tuple_size(T) >= 2 ->
    list_to_tuple([element(1, T), element(2, T) | [walk(X, B, L, F) || X <- tl(tl(tuple_to_list(T)))]]);
walk(Xs, B, L, F) when is_list(Xs) ->
    [walk(X, B, L, F) || X <- Xs];
walk(X, _B, _L, _F) ->
    X.

%% Variables a statement certainly binds: those of `P = E` (and chains `P1 = P2 = E`).
bound_by({match, _, P, E}) -> pattern_vars(P) ++ bound_by(E);
bound_by(_) -> [].

%% Variables of a pattern (or a list of patterns), in order of appearance, without '_'.
-spec pattern_vars(term()) -> [atom()].
pattern_vars(P) ->
    lists:reverse(pv(P, [])).

pv({var, _, '_'}, Acc) -> Acc;
pv({var, _, V}, Acc) ->
    case lists:member(V, Acc) of true -> Acc; false -> [V | Acc] end;
pv({map_field_exact, _, _Key, V}, Acc) -> pv(V, Acc);
pv({bin_element, _, V, _Size, _}, Acc) -> pv(V, Acc);
pv(T, Acc) when is_tuple(T), tuple_size(T) >= 2 ->
    lists:foldl(fun pv/2, Acc, tl(tl(tuple_to_list(T))));
pv(L, Acc) when is_list(L) -> lists:foldl(fun pv/2, Acc, L);
pv(_, Acc) -> Acc.

add(Bound, New) ->
    Bound ++ [V || V <- New, not lists:member(V, Bound)].
