%% The guard subset of Elixir: an expression translated into a match-spec guard (which the VM
%% evaluates with no message sent), or interpreted over bindings in the agent (no Elixir needed).
%%
%% The subset: comparisons, and/or/not, is_* guards, dot access on maps and structs
%% (`state.balance` → {map_get, balance, '$3'}), elem, hd, tl, length, tuple_size, map_size,
%% byte_size, abs, `in` over a literal list, literals, and the erlang module's guard BIFs.
%% Variables are the clause's source names, each given a match-spec expression by esc_bp_head.
-module(esc_bp_guard).

-export([guard/2, interp/2, truthy/1, guard_function/1, ms_call/2]).

-define(MS_BIFS, [is_atom, is_binary, is_bitstring, is_float, is_function, is_integer, is_list,
                  is_map, is_number, is_pid, is_port, is_reference, is_tuple, is_map_key, map_get,
                  abs, element, hd, tl, length, map_size, byte_size, bit_size, size, trunc, round,
                  node, self, binary_part, float, tuple_size]).
-define(OPS, ['==', '/=', '=<', '<', '>=', '>', '=:=', '=/=', '+', '-', '*', '/', 'div', 'rem',
              'band', 'bor', 'bxor', 'bsl', 'bsr', 'and', 'or', 'xor', 'not', 'andalso', 'orelse']).

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
            case guard_function(F) of
                true -> ms_call(F, [ms(A, N) || A <- Args]);
                false -> throw(unsupported)
            end;
        'Elixir.Kernel' -> kernel(F, Args, N);
        _ -> throw(unsupported)
    end.

%% Whether erlang:F is allowed in a match-spec guard (a guard BIF or an operator).
-spec guard_function(atom()) -> boolean().
guard_function(F) -> lists:member(F, ?MS_BIFS) orelse lists:member(F, ?OPS).

%% The match-spec expression of erlang:F(Args) for a guard function F.
-spec ms_call(atom(), [term()]) -> tuple().
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
-spec interp(term(), #{binary() => term()}) -> term().
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

%% Elixir's truthiness: everything but false and nil.
-spec truthy(term()) -> boolean().
truthy(false) -> false;
truthy(nil) -> false;
truthy(_) -> true.
