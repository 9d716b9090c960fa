%% Breakpoint conditions, hit conditions and log messages, compiled once when the breakpoint is set.
%%
%% Why match specifications: a condition that the VM checks itself (the trace pattern's match
%% specification) costs ~0.3 µs when false and sends nothing, so the traced code barely notices a
%% breakpoint that never fires. So:
%% - a function clause head becomes the match-spec head: literals, tuples, lists and map/struct
%%   patterns stay in the head with the clause's variables as '$N'; what a head cannot say (an alias
%%   `%S{} = state`, a binary, a non-literal map key) becomes guard tests on the argument's '$N'
%%   (is_tuple/size/element, is_map/is_map_key/map_get, hd/tl), so every named variable has a
%%   match-spec expression. The clause's own guard is translated too, so a match-spec clause only
%%   matches the arguments its function clause would take.
%% - the condition (an Elixir expression over the clause's source names) is translated to a guard:
%%   comparisons, and/or/not, is_* guards, dot access on maps and structs (`state.balance` →
%%   {map_get, balance, '$3'}), elem, hd, tl, length, tuple_size, map_size, byte_size, abs, `in`
%%   over a literal list, literals. A condition outside that subset compiles ONCE into a fun
%%   (Elixir's own compiler through Code.eval_quoted of `fn [names] -> condition end`, evaluated by
%%   the agent over the named bindings of each call); the match spec then only filters on the
%%   clause head and tags the message for that check.
%% A condition that does not parse or compile is {error, Message} with the compiler's message.
%% With side effects refused (compile/3, log_message/2: the default unless the launch configuration
%% sets allowSideEffects), a condition or log message part calling anything off esc_pure's allow-list
%% is {error, Message} naming the call, and the fun runs esc_pure's rewrite of the expression
%% (`x.f` reads a map field, never calls a module held in x). The match spec is the same either way:
%% it holds only guard BIFs. try_eval/2 says when a condition raised, so the agent can count it.
%% Elixir is called dynamically ('Elixir.Code'), so the agent compiles without it.
%%
%% Hit conditions (`3`, `== 3`, `>= 3`, `> 3`, `< 3`, `<= 3`, `!= 3`, `% 10`; a bare number means
%% `>= N`, as in VS Code's JavaScript debugger) and log messages (`"withdraw {amount} from
%% {state.id}"`, `\{` for a literal brace) are pure functions over a hit count / bindings.
-module(esc_bp_cond).

-export([parse/1, compile/2, compile/3, guard/2, head/2, eval/2, try_eval/2, truthy/1,
         hit_condition/1, hit_ok/2, log_message/1, log_message/2, format_log/2, ms_ok/1]).

-export_type([condition/0, head/0, hit/0, log/0]).

%% A condition compiled for one set of available names: the match-spec guard when it has one,
%% the fun (over the values of `names`, in order) otherwise or in addition.
-type condition() :: #{source := binary(), ast := term(), ms := term() | none,
                       fn := {fun(([term()]) -> term()), [binary()]} | none}.
%% A function clause as match-spec material: head term, guard disjuncts (each a list of tests;
%% [[]] = none), the match-spec expression of each source name, and whether it is exact (false:
%% the head/guard accept more than the clause; the agent re-checks with esc_bp_bind).
-type head() :: #{head := list(), guards := [[term()]], names := #{binary() => term()},
                  exact := boolean()}.
-type hit() :: none | {'>=' | '>' | '==' | '<' | '=<' | '/=' | 'rem', non_neg_integer()}.
-type log() :: [binary() | {expr | pure_expr, binary(), term()}].
%% Whether conditions and log messages may call functions off the pure allow-list.
-type effects() :: allow | refuse.
-export_type([effects/0]).

-define(MS_BIFS, [is_atom, is_binary, is_bitstring, is_float, is_function, is_integer, is_list,
                  is_map, is_number, is_pid, is_port, is_reference, is_tuple, is_map_key, map_get,
                  abs, element, hd, tl, length, map_size, byte_size, bit_size, size, trunc, round,
                  node, self, binary_part, float, tuple_size]).
-define(OPS, ['==', '/=', '=<', '<', '>=', '>', '=:=', '=/=', '+', '-', '*', '/', 'div', 'rem',
              'band', 'bor', 'bxor', 'bsl', 'bsr', 'and', 'or', 'xor', 'not', 'andalso', 'orelse']).

%% ------------------------------------------------------------------ conditions

%% Parses Elixir source into quoted form.
-spec parse(binary() | string()) -> {ok, term()} | {error, binary()}.
parse(Src) ->
    case code:ensure_loaded('Elixir.Code') of
        {module, _} ->
            try 'Elixir.Code':string_to_quoted(esc_lib:to_bin(Src), [{file, <<"condition">>}]) of
                {ok, Ast} -> {ok, Ast};
                {error, {Meta, Msg, Token}} -> {error, syntax_message(Meta, Msg, Token)}
            catch
                C:R -> {error, esc_lib:fmt("~p: ~0tp", [C, R])}
            end;
        _ ->
            {error, <<"Conditions and log messages are Elixir expressions, and Elixir is not loaded on this node.">>}
    end.

syntax_message(Meta, Msg, Token) ->
    Line = case Meta of
               L when is_integer(L) -> L;
               _ when is_list(Meta) -> proplists:get_value(line, Meta, 1);
               _ -> 1
           end,
    Text = case Msg of
               {A, B} -> [A, B];
               _ -> Msg
           end,
    Tok = case esc_lib:to_bin(Token) of <<>> -> <<"end of expression">>; T -> T end,
    iolist_to_binary(["syntax error (line ", integer_to_binary(Line), "): ", esc_lib:to_bin(Text), Tok]).

%% Compiles a parsed condition for a clause whose source names are Available: a match-spec guard
%% when the subset allows, and a fun (validated by Elixir's compiler) always when Elixir is there.
-spec compile(term(), #{binary() => term()} | [binary()]) -> {ok, condition()} | {error, binary()}.
compile(Ast, Names) -> compile(Ast, Names, allow).

%% The same, refusing calls off the pure allow-list when Effects is refuse.
-spec compile(term(), #{binary() => term()} | [binary()], effects()) -> {ok, condition()} | {error, binary()}.
compile(Ast0, Names, Effects) when is_map(Names) ->
    Ast = erlang_vars(Ast0, Names),
    case guard(Ast, Names) of
        {unbound, Name} ->
            Avail = [N || N <- lists:sort(maps:keys(Names)), binary:first(N) =/= $_],
            {error, esc_lib:fmt("undefined variable ~s (variables here: ~s)",
                                [Name, case Avail of [] -> "none"; _ -> lists:join(", ", Avail) end])};
        G ->
            Ms = case G of {ok, Guard} -> Guard; _ -> none end,
            case compile_checked(Ast, maps:keys(Names), Effects, condition) of
                {ok, Fn} -> {ok, #{source => esc_lib:to_bin('Elixir.Macro':to_string(Ast)), ast => Ast, ms => Ms, fn => Fn}};
                {error, _} = E -> E
            end
    end;
compile(Ast, Names, Effects) when is_list(Names) ->
    compile(Ast, maps:from_list([{N, none} || N <- Names]), Effects).

%% compile_fun/2, of esc_pure's rewrite when side effects are refused. A refused expression that
%% does not compile anyway gets the compiler's message (an undefined function is said as such).
compile_checked(Ast, Available, allow, _Use) -> compile_fun(Ast, Available);
compile_checked(Ast, Available, refuse, Use) ->
    case esc_pure:check(Ast, Use) of
        {ok, Pure} -> compile_fun(Pure, Available);
        {refused, Why} ->
            case compile_fun(Ast, Available) of
                {error, _} = E -> E;
                {ok, _} -> {error, Why}
            end
    end.

%% In an Erlang source the names are Erlang variables (`Y > 10`), which Elixir reads as aliases:
%% a one-part alias that names a binding becomes that variable.
erlang_vars({'__aliases__', Meta, [Name]} = A, Names) when is_atom(Name) ->
    case maps:is_key(atom_to_binary(Name, utf8), Names) of
        true -> {Name, Meta, nil};
        false -> A
    end;
erlang_vars({A, M, Args}, Names) when is_list(Args) ->
    {erlang_vars(A, Names), M, [erlang_vars(X, Names) || X <- Args]};
erlang_vars({A, B}, Names) -> {erlang_vars(A, Names), erlang_vars(B, Names)};
erlang_vars(L, Names) when is_list(L) -> [erlang_vars(X, Names) || X <- L];
erlang_vars(X, _Names) -> X.

compile_fun(Ast, Available) ->
    Used = [N || N <- free_vars(Ast), lists:member(N, Available)],
    Vars = [{binary_to_atom(N, utf8), [], nil} || N <- Used],
    Fn = {fn, [], [{'->', [], [[Vars], Ast]}]},
    case eval_collecting(fun() -> 'Elixir.Code':eval_quoted(Fn, [], []) end) of
        {{ok, {Fun, _}}, _} when is_function(Fun, 1) -> {ok, {Fun, Used}};
        {_, [_ | _] = Diagnostics} -> {error, iolist_to_binary(lists:join(<<"; ">>, Diagnostics))};
        {{caught, error, E}, []} when is_map(E) -> {error, esc_lib:to_bin('Elixir.Exception':message(E))};
        {{caught, C, R}, []} -> {error, esc_lib:fmt("~p: ~0tp", [C, R])}
    end.

%% Runs Eval and returns {Result, ErrorMessages}. Elixir >= 1.15 reports compile errors as
%% diagnostics and raises only "cannot compile file (errors have been logged)": collect them
%% (without logging them into the user's console) so the message says what is wrong.
eval_collecting(Eval) ->
    Guarded = fun() -> try {ok, Eval()} catch C:R -> {caught, C, R} end end,
    case erlang:function_exported('Elixir.Code', with_diagnostics, 2) of
        true ->
            {Result, Diags} = 'Elixir.Code':with_diagnostics([{log, false}], Guarded),
            {Result, [esc_lib:to_bin(maps:get(message, D, <<>>)) || D <- Diags, maps:get(severity, D, error) =:= error]};
        false ->
            {Guarded(), []}
    end.

%% Names the expression refers to (variables), in order, without duplicates.
free_vars(Ast) ->
    lists:reverse(fv(Ast, [])).

fv({Name, Meta, Ctx}, Acc) when is_atom(Name), is_list(Meta), is_atom(Ctx) ->
    N = atom_to_binary(Name, utf8),
    case lists:member(N, Acc) of true -> Acc; false -> [N | Acc] end;
fv({A, _Meta, Args}, Acc) when is_list(Args) -> fv(Args, fv(A, Acc));
fv({A, B}, Acc) -> fv(B, fv(A, Acc));
fv(L, Acc) when is_list(L) -> lists:foldl(fun fv/2, Acc, L);
fv(_, Acc) -> Acc.

%% Evaluates a compiled condition over [{Name, Value}] bindings (agent side). Any exception, or
%% an unbound name, means false.
-spec eval(condition(), [{binary(), term()}]) -> boolean().
eval(C, Bindings) -> try_eval(C, Bindings) =:= true.

%% eval/2 that also says when the condition itself raised ({raised, What}: the exception's name,
%% e.g. <<"ArgumentError">>); an unbound name is just false (the clause has no such binding).
-spec try_eval(condition(), [{binary(), term()}]) -> boolean() | {raised, binary()}.
try_eval(#{fn := {Fun, Names}}, Bindings) ->
    case values(Names, Bindings) of
        unbound -> false;
        Values ->
            try truthy(Fun(Values))
            catch Class:Reason:Stack -> {raised, raised_name(Class, Reason, Stack)}
            end
    end;
try_eval(#{ast := Ast}, Bindings) ->
    try truthy(interp(Ast, maps:from_list(Bindings))) catch _:_ -> false end.

values(Names, Bindings) ->
    try [case lists:keyfind(N, 1, Bindings) of {_, V} -> V; false -> throw(unbound) end || N <- Names]
    catch throw:unbound -> unbound
    end.

%% As Elixir would name it: badarg from hd([]) is an ArgumentError.
raised_name(error, Reason, Stack) ->
    Normalized = try 'Elixir.Exception':normalize(error, Reason, Stack) catch _:_ -> Reason end,
    case Normalized of
        #{'__struct__' := Mod} when is_atom(Mod) ->
            case atom_to_binary(Mod, utf8) of <<"Elixir.", Name/binary>> -> Name; Name -> Name end;
        _ -> esc_lib:fmt("~0tP", [Reason, 4])
    end;
raised_name(Class, _Reason, _Stack) ->
    atom_to_binary(Class, utf8).

-spec truthy(term()) -> boolean().
truthy(false) -> false;
truthy(nil) -> false;
truthy(_) -> true.

%% The match-spec guard for a condition over Names (source name → match-spec expression).
%% {unbound, Name}: the expression is in the guard subset but uses a name the clause does not bind.
-spec guard(term(), #{binary() => term()}) -> {ok, term()} | unsupported | {unbound, atom()}.
guard(Ast, Names) ->
    try
        G = ms(Ast, Names),
        {ok, case boolean_valued(Ast) of
                 true -> G;
                 false -> {'andalso', {'=/=', G, false}, {'=/=', G, nil}}
             end}
    catch
        throw:{unbound, Name} ->
            case lists:member(Name, [self, node]) of
                true -> unsupported;
                false -> {unbound, Name}
            end;
        throw:_ -> unsupported
    end.

boolean_valued({'__block__', _, [X]}) -> boolean_valued(X);
boolean_valued({Op, _, [_, _]}) when Op =:= '=='; Op =:= '!='; Op =:= '==='; Op =:= '!==';
                                     Op =:= '<'; Op =:= '>'; Op =:= '<='; Op =:= '>=';
                                     Op =:= 'and'; Op =:= 'or'; Op =:= in -> true;
boolean_valued({Op, _, [_]}) when Op =:= 'not'; Op =:= '!' -> true;
boolean_valued({F, _, [_ | _]}) when is_atom(F) ->
    lists:prefix("is_", atom_to_list(F));
boolean_valued(B) when is_boolean(B) -> true;
boolean_valued(_) -> false.

ms({'__block__', _, [X]}, N) -> ms(X, N);
ms(I, _N) when is_integer(I); is_float(I) -> I;
ms(A, _N) when is_atom(A); is_binary(A) -> {const, A};
ms(L, N) when is_list(L) ->
    case literal(L) of
        {ok, V} -> {const, V};
        error -> throw({unsupported, N})
    end;
ms({'__aliases__', _, Parts} = Al, _N) when is_list(Parts) ->
    {const, mod_alias(Al)};
ms({Name, Meta, Ctx}, N) when is_atom(Name), is_list(Meta), is_atom(Ctx) ->
    case maps:find(atom_to_binary(Name, utf8), N) of
        {ok, E} when E =/= none -> E;
        _ -> throw({unbound, Name})
    end;
ms({'{}', _, Es}, N) when is_list(Es) -> {list_to_tuple([ms(E, N) || E <- Es])};
ms({'%{}', _, _} = M, _N) ->
    case literal(M) of {ok, V} -> {const, V}; error -> throw(unsupported) end;
ms({{'.', _, [Left, Field]}, Meta, []}, N) when is_atom(Field) ->
    case proplists:get_value(no_parens, Meta, false) andalso not is_module_ref(Left) of
        true -> {map_get, {const, Field}, ms(Left, N)};
        false -> remote(Left, Field, [], N)
    end;
ms({{'.', _, [Mod, F]}, _, Args}, N) when is_atom(F), is_list(Args) ->
    remote(Mod, F, Args, N);
ms({in, _, [X, List]}, N) ->
    case literal(List) of
        {ok, []} -> false;
        {ok, Vs} when is_list(Vs) ->
            XE = ms(X, N),
            lists:foldr(fun(V, Acc) -> {'orelse', {'=:=', XE, {const, V}}, Acc} end,
                        {'=:=', XE, {const, lists:last(Vs)}}, lists:droplast(Vs));
        _ -> throw(unsupported)
    end;
ms({'!', _, [A]}, N) ->
    E = ms(A, N),
    {'orelse', {'=:=', E, false}, {'=:=', E, nil}};
ms({'not', _, [A]}, N) -> {'not', ms(A, N)};
ms({'-', _, [A]}, N) -> case ms(A, N) of I when is_number(I) -> -I; E -> {'-', E} end;
ms({'+', _, [A]}, N) -> ms(A, N);
ms({Op, _, [A, B]}, N) when Op =:= '=='; Op =:= '!='; Op =:= '==='; Op =:= '!=='; Op =:= '<';
                            Op =:= '>'; Op =:= '<='; Op =:= '>='; Op =:= '+'; Op =:= '-';
                            Op =:= '*'; Op =:= '/'; Op =:= 'and'; Op =:= 'or' ->
    {op(Op), ms(A, N), ms(B, N)};
ms({F, Meta, Args}, N) when is_atom(F), is_list(Meta), is_list(Args) ->
    kernel(F, Args, N);
ms({A, B}, N) -> {{ms(A, N), ms(B, N)}};
ms(_, _) -> throw(unsupported).

op('!=') -> '/=';
op('===') -> '=:=';
op('!==') -> '=/=';
op('<=') -> '=<';
op('and') -> 'andalso';
op('or') -> 'orelse';
op(Op) -> Op.

remote(Mod, F, Args, N) ->
    case module_of(Mod) of
        erlang ->
            case lists:member(F, ?MS_BIFS) orelse lists:member(F, ?OPS) of
                true -> ms_call(F, [ms(A, N) || A <- Args]);
                false -> throw(unsupported)
            end;
        'Elixir.Kernel' -> kernel(F, Args, N);
        _ -> throw(unsupported)
    end.

ms_call(tuple_size, [T]) -> {size, T};
ms_call(F, As) -> list_to_tuple([F | As]).

kernel(F, [X], N) when F =:= is_atom; F =:= is_binary; F =:= is_bitstring; F =:= is_float;
                       F =:= is_function; F =:= is_integer; F =:= is_list; F =:= is_map;
                       F =:= is_number; F =:= is_pid; F =:= is_port; F =:= is_reference;
                       F =:= is_tuple; F =:= hd; F =:= tl; F =:= length; F =:= map_size;
                       F =:= byte_size; F =:= bit_size; F =:= abs; F =:= trunc; F =:= round;
                       F =:= node ->
    {F, ms(X, N)};
kernel(is_function, [X, A], N) -> {is_function, ms(X, N), ms(A, N)};
kernel(tuple_size, [X], N) -> {size, ms(X, N)};
kernel(is_nil, [X], N) -> {'=:=', ms(X, N), nil};
kernel(is_boolean, [X], N) -> E = ms(X, N), {'orelse', {'=:=', E, true}, {'=:=', E, false}};
kernel(elem, [T, I], N) ->
    Idx = case ms(I, N) of K when is_integer(K) -> K + 1; E -> {'+', E, 1} end,
    {element, Idx, ms(T, N)};
kernel(is_map_key, [M, K], N) -> {is_map_key, ms(K, N), ms(M, N)};
kernel(map_get, [M, K], N) -> {map_get, ms(K, N), ms(M, N)};
kernel(F, [A, B], N) when F =:= 'div'; F =:= 'rem' -> {F, ms(A, N), ms(B, N)};
kernel(binary_part, [B, S, L], N) -> {binary_part, ms(B, N), ms(S, N), ms(L, N)};
kernel(self, [], _N) -> {self};
kernel(node, [], _N) -> {node};
kernel(_, _, _) -> throw(unsupported).

is_module_ref({'__aliases__', _, _}) -> true;
is_module_ref(A) when is_atom(A) -> true;
is_module_ref(_) -> false.

module_of({'__aliases__', _, _} = A) -> mod_alias(A);
module_of(A) when is_atom(A) -> A;
module_of(_) -> throw(unsupported).

mod_alias({'__aliases__', _, Parts}) ->
    case lists:all(fun is_atom/1, Parts) of
        true ->
            case Parts of
                ['Elixir' | _] -> binary_to_atom(join(Parts), utf8);
                _ -> binary_to_atom(<<"Elixir.", (join(Parts))/binary>>, utf8)
            end;
        false -> throw(unsupported)
    end.

join(Parts) -> iolist_to_binary(lists:join(".", [atom_to_binary(P, utf8) || P <- Parts])).

%% Literal quoted terms (numbers, atoms, strings, lists, tuples, maps of literals).
literal(X) when is_number(X); is_atom(X); is_binary(X) -> {ok, X};
literal(L) when is_list(L) ->
    Vs = [literal(X) || X <- L],
    case lists:all(fun(R) -> R =/= error end, Vs) of
        true -> {ok, [V || {ok, V} <- Vs]};
        false -> error
    end;
literal({'__aliases__', _, _} = A) -> try {ok, mod_alias(A)} catch throw:_ -> error end;
literal({'{}', _, Es}) when is_list(Es) ->
    case literal(Es) of {ok, Vs} -> {ok, list_to_tuple(Vs)}; error -> error end;
literal({'%{}', _, Pairs}) when is_list(Pairs) ->
    try {ok, maps:from_list([{lit(K), lit(V)} || {K, V} <- Pairs])} catch throw:_ -> error end;
literal({'-', _, [X]}) when is_number(X) -> {ok, -X};
literal({A, B}) ->
    case {literal(A), literal(B)} of
        {{ok, VA}, {ok, VB}} -> {ok, {VA, VB}};
        _ -> error
    end;
literal(_) -> error.

lit(X) -> case literal(X) of {ok, V} -> V; error -> throw(not_literal) end.

%% The same subset, interpreted over bindings (no Elixir needed): used for log messages and when
%% a condition has no fun.
interp({'__block__', _, [X]}, B) -> interp(X, B);
interp(X, _B) when is_number(X); is_atom(X); is_binary(X) -> X;
interp(L, B) when is_list(L) -> [interp(X, B) || X <- L];
interp({'__aliases__', _, _} = A, _B) -> mod_alias(A);
interp({Name, Meta, Ctx}, B) when is_atom(Name), is_list(Meta), is_atom(Ctx) ->
    maps:get(atom_to_binary(Name, utf8), B);
interp({'{}', _, Es}, B) -> list_to_tuple([interp(E, B) || E <- Es]);
interp({'%{}', _, Pairs}, B) -> maps:from_list([{interp(K, B), interp(V, B)} || {K, V} <- Pairs]);
interp({{'.', _, [Left, Field]}, Meta, []}, B) when is_atom(Field) ->
    true = proplists:get_value(no_parens, Meta, false),
    maps:get(Field, interp(Left, B));
interp({{'.', _, ['Elixir.Access', get]}, _, [C, K]}, B) ->
    access(interp(C, B), interp(K, B));
interp({in, _, [X, L]}, B) -> lists:member(interp(X, B), interp(L, B));
interp({'!', _, [A]}, B) -> not truthy(interp(A, B));
interp({'not', _, [A]}, B) -> not interp(A, B);
interp({'-', _, [A]}, B) -> -interp(A, B);
interp({'and', _, [X, Y]}, B) -> interp(X, B) andalso interp(Y, B);
interp({'or', _, [X, Y]}, B) -> interp(X, B) orelse interp(Y, B);
interp({'&&', _, [X, Y]}, B) -> V = interp(X, B), case truthy(V) of true -> interp(Y, B); false -> V end;
interp({'||', _, [X, Y]}, B) -> V = interp(X, B), case truthy(V) of true -> V; false -> interp(Y, B) end;
interp({Op, _, [X, Y]}, B) when Op =:= '=='; Op =:= '!='; Op =:= '==='; Op =:= '!=='; Op =:= '<';
                                Op =:= '>'; Op =:= '<='; Op =:= '>='; Op =:= '+'; Op =:= '-';
                                Op =:= '*'; Op =:= '/' ->
    erlang:(op(Op))(interp(X, B), interp(Y, B));
interp({elem, _, [T, I]}, B) -> element(interp(I, B) + 1, interp(T, B));
interp({is_nil, _, [X]}, B) -> interp(X, B) =:= nil;
interp({is_map_key, _, [M, K]}, B) -> is_map_key(interp(K, B), interp(M, B));
interp({F, _, Args}, B) when is_atom(F), is_list(Args) ->
    case lists:member(F, ?MS_BIFS) orelse lists:member(F, ['div', 'rem', is_boolean]) of
        true -> apply(erlang, F, [interp(A, B) || A <- Args]);
        false -> error(unsupported)
    end;
interp({X, Y}, B) -> {interp(X, B), interp(Y, B)}.

access(M, K) when is_map(M) -> maps:get(K, M, nil);
access(L, K) when is_list(L) -> case lists:keyfind(K, 1, L) of {_, V} -> V; false -> nil end;
access(nil, _) -> nil.

%% ------------------------------------------------------------------ clause heads

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
    lists:member(Op, ?OPS) orelse throw(unsupported),
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
    case lists:member(F, ?OPS) of
        true -> list_to_tuple([F | Args]);
        false ->
            lists:member(F, ?MS_BIFS) orelse throw(unsupported),
            ms_call(F, Args)
    end.

%% True when Ms is a valid trace match specification.
-spec ms_ok(list()) -> boolean().
ms_ok(Ms) ->
    case catch erlang:match_spec_test([], Ms, trace) of
        {ok, _, _, _} -> true;
        _ -> false
    end.

%% ------------------------------------------------------------------ hit conditions

-spec hit_condition(binary() | string() | undefined) -> {ok, hit()} | {error, binary()}.
hit_condition(undefined) -> {ok, none};
hit_condition(Src) ->
    S = string:trim(unicode:characters_to_list(Src)),
    case S of
        "" -> {ok, none};
        _ ->
            case re:run(S, "^(==|===|=|>=|>|<=|<|!=|%)?\\s*([0-9]+)$", [{capture, all_but_first, list}]) of
                {match, [Op, N]} -> {ok, {hit_op(Op), list_to_integer(N)}};
                {match, [N]} -> {ok, {'>=', list_to_integer(N)}};
                nomatch -> {error, esc_lib:fmt("Invalid hit count \"~ts\": use a number (3), == 3, >= 3, > 3, < 3, <= 3, "
                                               "!= 3 or % 10 (every 10th hit).", [S])}
            end
    end.

hit_op("") -> '>=';
hit_op("==") -> '==';
hit_op("===") -> '==';
hit_op("=") -> '==';
hit_op(">=") -> '>=';
hit_op(">") -> '>';
hit_op("<=") -> '=<';
hit_op("<") -> '<';
hit_op("!=") -> '/=';
hit_op("%") -> 'rem'.

%% Whether the Count-th hit (1-based, counted after the condition) stops/logs.
-spec hit_ok(hit(), pos_integer()) -> boolean().
hit_ok(none, _) -> true;
hit_ok({'rem', 0}, _) -> false;
hit_ok({'rem', N}, C) -> C rem N =:= 0;
hit_ok({Op, N}, C) -> erlang:Op(C, N).

%% ------------------------------------------------------------------ log messages

%% Parses a log message template: text with `{expression}` parts (`\{` is a literal brace).
-spec log_message(binary() | string()) -> {ok, log()} | {error, binary()}.
log_message(Src) ->
    try {ok, log_parts(unicode:characters_to_list(Src), [], [])}
    catch throw:{log_error, Msg} -> {error, Msg}
    end.

%% The same; with Effects refuse a part calling anything off the pure allow-list is an error, and
%% the parts are pure_expr (format_log/2 then runs only esc_pure's rewrite of them). The clause's
%% names are not known here: a one-part alias that is not called (`State`, `State.balance`) is read
%% as the variable it names in an Erlang source; format_log/2 checks again with the real names.
-spec log_message(binary() | string(), effects()) -> {ok, log()} | {error, binary()}.
log_message(Src, allow) -> log_message(Src);
log_message(Src, refuse) ->
    case log_message(Src) of
        {ok, Parts} ->
            Refused = [Why || {expr, _, Ast} <- Parts,
                              {refused, Why} <- [esc_pure:check(erlang_vars(Ast, alias_names(Ast, #{})), log)]],
            case Refused of
                [] -> {ok, [case P of {expr, S, A} -> {pure_expr, S, A}; _ -> P end || P <- Parts]};
                [Why | _] -> {error, Why}
            end;
        Error -> Error
    end.

alias_names({'__aliases__', _, [Name]}, Acc) when is_atom(Name) -> Acc#{atom_to_binary(Name, utf8) => none};
alias_names({{'.', _, [{'__aliases__', _, _} = Alias, _]}, Meta, Args}, Acc) when is_list(Meta), is_list(Args) ->
    case Args =:= [] andalso lists:keyfind(no_parens, 1, Meta) =:= {no_parens, true} of
        true -> alias_names(Alias, Acc);      % State.balance: a field of the variable State
        false -> alias_names(Args, Acc)       % Foo.bar(...): a call on the module Foo
    end;
alias_names({A, _, Args}, Acc) when is_list(Args) -> alias_names(Args, alias_names(A, Acc));
alias_names({A, B}, Acc) -> alias_names(B, alias_names(A, Acc));
alias_names(L, Acc) when is_list(L) -> lists:foldl(fun alias_names/2, Acc, L);
alias_names(_, Acc) -> Acc.

log_parts([], Text, Acc) -> lists:reverse(add_text(Text, Acc));
log_parts([$\\, C | T], Text, Acc) when C =:= ${; C =:= $} -> log_parts(T, [C | Text], Acc);
log_parts([${ | T], Text, Acc) ->
    {Expr, Rest} = take_expr(T, 0, []),
    Src = unicode:characters_to_binary(string:trim(Expr)),
    case parse(Src) of
        {ok, Ast} -> log_parts(Rest, [], [{expr, Src, Ast} | add_text(Text, Acc)]);
        {error, Msg} -> throw({log_error, esc_lib:fmt("In log message part {~ts}: ~ts", [Src, Msg])})
    end;
log_parts([C | T], Text, Acc) -> log_parts(T, [C | Text], Acc).

take_expr([], _, _) -> throw({log_error, <<"Unclosed { in log message (use \\{ for a literal brace).">>});
take_expr([$} | T], 0, Acc) -> {lists:reverse(Acc), T};
take_expr([$} | T], D, Acc) -> take_expr(T, D - 1, [$} | Acc]);
take_expr([${ | T], D, Acc) -> take_expr(T, D + 1, [${ | Acc]);
take_expr([C | T], D, Acc) -> take_expr(T, D, [C | Acc]).

add_text([], Acc) -> Acc;
add_text(Text, Acc) -> [unicode:characters_to_binary(lists:reverse(Text)) | Acc].

%% Renders a log message over bindings: each part evaluated with the condition subset (names,
%% .field, [key], elem/hd/tl/length/...); strings print as-is, other terms in Elixir syntax.
%% A part that fails prints as <error: ...> so a log point never crashes anything.
-spec format_log(log(), [{binary(), term()}]) -> binary().
format_log(Parts, Bindings) ->
    B = maps:from_list(Bindings),
    iolist_to_binary([case P of
                          {Kind, Src, Ast} when Kind =:= expr; Kind =:= pure_expr ->
                              try render(interp(Ast, B))
                              catch _:_ ->
                                      case log_fun(Ast, B, case Kind of expr -> allow; pure_expr -> refuse end) of
                                          {ok, V} -> render(V);
                                          error -> [<<"<error: ">>, Src, <<">">>]
                                      end
                              end;
                          Text -> Text
                      end || P <- Parts]).

%% A part outside the interpreted subset (`Enum.count(list)`): compiled once per set of names
%% (cached in the calling process's dictionary) and run over the bindings.
log_fun(Ast, B, Effects) ->
    Key = {esc_bp_log_fun, Ast, Effects, lists:sort(maps:keys(B))},
    Compiled = case get(Key) of
                   undefined ->
                       Ast2 = erlang_vars(Ast, B),
                       C = case {code:ensure_loaded('Elixir.Code'), guard(Ast2, maps:map(fun(_, _) -> '$1' end, B))} of
                               {_, {unbound, _}} -> {error, unbound};
                               {{module, _}, _} -> compile_checked(Ast2, maps:keys(B), Effects, log);
                               _ -> {error, no_elixir}
                           end,
                       put(Key, C),
                       C;
                   C -> C
               end,
    case Compiled of
        {ok, {Fun, Names}} ->
            try {ok, Fun([maps:get(N, B) || N <- Names])} catch _:_ -> error end;
        _ -> error
    end.

render(V) when is_binary(V) ->
    case unicode:characters_to_binary(V) of
        V -> V;
        _ -> inspect(V)
    end;
render(V) -> inspect(V).

inspect(V) ->
    case erlang:function_exported('Elixir.Kernel', inspect, 2) of
        true -> 'Elixir.Kernel':inspect(V, [{limit, 50}]);
        false -> esc_lib:fmt("~0tp", [V])
    end.
