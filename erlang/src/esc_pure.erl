%% The pure allow-list: which calls an expression may make when it must not change the program
%% (hovers and watches, breakpoint conditions and log messages unless the launch configuration sets
%% allowSideEffects), and the check of an Elixir expression against it. The one place that says
%% what "pure" means for the agent.
%%
%% check/1 walks the quoted expression (Code.string_to_quoted) and refuses, with the reason, any
%% call not on the list (local calls are Kernel's), calls of anonymous funs or of a module held in
%% a variable, and forms that could reach other code (receive, try, import, module attributes…).
%% `fn` and `&` are allowed when their bodies pass the same check. It also rewrites:
%% - `expr.field` (no parentheses) into a map fetch: on an atom, Elixir would call expr.field();
%% - every allowed remote call, and the Kernel ones that dispatch through a protocol (to_string,
%%   inspect, `in`), into call/3, which refuses arguments holding a struct with its own protocol or
%%   Access implementation (user code) before running the function.
%% The evaluation must also bind no fun (esc_eval leaves such bindings out), so that no code other
%% than the checked expression and the listed functions can run.
-module(esc_pure).

-export([check/1, check/2, allowed/3, call/3, field/2]).

%% Who asks: the refusal is worded for them (a condition's names the launch attribute that allows it).
-type use() :: hover | condition | log.
-export_type([use/0]).

%% Kernel functions and operators (local calls).
-define(KERNEL, [abs, binary_part, bit_size, byte_size, ceil, 'div', elem, floor, hd, is_atom, is_binary,
                 is_bitstring, is_boolean, is_float, is_function, is_integer, is_list, is_map, is_map_key,
                 is_nil, is_number, is_pid, is_port, is_reference, is_tuple, is_struct, is_exception,
                 length, map_size, max, min, 'rem', round, tl, trunc, tuple_size, to_string,
                 to_charlist, inspect, get_in, put_in, put_elem, self, node, 'match?', 'not', '+', '-', '*', '/', '==', '!=',
                 '===', '!==', '<', '>', '<=', '>=', 'and', 'or', '&&', '||', '!', '<>', '++', '--',
                 '..', '..//', '=', sigil_w, sigil_s, sigil_c, sigil_W, sigil_S, sigil_C]).

%% Module => functions (any arity). Nothing here sends, spawns, does I/O, creates atoms or calls a
%% fun given by the caller's data (funs come only from the checked expression itself).
-define(MODULES, #{
    'Elixir.Kernel' => ?KERNEL,
    'Elixir.Map' => [get, fetch, 'fetch!', 'has_key?', keys, values, to_list, take, drop, put, delete,
                     merge, new, 'equal?', split, filter, reject, update, replace, 'replace!', from_struct],
    'Elixir.Keyword' => [get, fetch, 'fetch!', 'has_key?', keys, values, take, drop, put, delete, merge,
                         'keyword?', get_values, to_list],
    'Elixir.Enum' => [count, at, fetch, 'fetch!', 'member?', sum, product, min, max, min_by, max_by, sort,
                      sort_by, reverse, take, drop, map, filter, reject, find, find_index, find_value,
                      'any?', 'all?', join, map_join, to_list, uniq, uniq_by, frequencies, frequencies_by,
                      group_by, zip, with_index, slice, 'empty?', reduce, flat_map, chunk_every, dedup,
                      split, concat, take_while, drop_while, split_with, into, with_index, count_until],
    'Elixir.List' => [first, last, flatten, wrap, delete, delete_at, keyfind, 'keymember?', keysort,
                      to_tuple, duplicate, insert_at, replace_at, update_at, zip, 'ascii_printable?'],
    'Elixir.Tuple' => [to_list, append, delete_at, insert_at, duplicate],
    'Elixir.String' => [length, upcase, downcase, capitalize, trim, trim_leading, trim_trailing, split,
                        'contains?', 'starts_with?', 'ends_with?', slice, at, replace, to_integer, to_float,
                        reverse, duplicate, pad_leading, pad_trailing, graphemes, codepoints, first, last,
                        'valid?', 'printable?', to_charlist, 'equivalent?'],
    'Elixir.MapSet' => [new, 'member?', size, to_list, union, intersection, difference, 'subset?',
                        'disjoint?', put, delete, 'equal?'],
    'Elixir.Integer' => [to_string, parse, digits, undigits, pow, gcd, floor_div, mod, to_charlist],
    'Elixir.Float' => [round, floor, ceil, to_string, parse],
    'Elixir.Access' => [get, fetch, key, 'key!', elem, at, all, filter],
    'Elixir.Range' => [new, size, 'disjoint?'],
    erlang => [abs, element, hd, tl, length, map_size, tuple_size, byte_size, bit_size, is_atom,
               is_binary, is_list, is_map, is_tuple, is_integer, is_float, is_number, is_pid,
               is_reference, is_function, integer_to_binary, integer_to_list, float_to_binary,
               atom_to_binary, atom_to_list, binary_to_list, list_to_binary, list_to_tuple,
               tuple_to_list, iolist_to_binary, iolist_size, phash2, max, min, term_to_binary,
               external_size, map_get, is_map_key, binary_part, self, node, '+', '-', '*', '/', 'div', 'rem',
               '==', '/=', '=:=', '=/=', '<', '>', '=<', '>=', 'and', 'or', 'not'],
    lists => [reverse, nth, nthtail, sum, max, min, member, keyfind, keymember, sort, usort, seq,
              flatten, sublist, last, append, zip, unzip, nth, split, prefix, suffix, subtract],
    maps => [get, find, is_key, keys, values, to_list, size, from_list, put, remove, merge, with, without],
    proplists => [get_value, get_all_values, is_defined, get_keys],
    %% Reads of shared state: conditions test them (a private table raises, as for any process).
    'Elixir.Process' => ['alive?', info, whereis],
    ets => [lookup, lookup_element, member, info]}).

%% Calls whose arguments go through a protocol or Access: a user struct there would run its own code.
-define(GUARDED, ['Elixir.Enum', 'Elixir.Access', 'Elixir.String.Chars', 'Elixir.List.Chars', 'Elixir.Inspect']).
-define(GUARDED_KERNEL, [to_string, to_charlist, inspect, get_in, put_in]).
%% Structs whose protocol implementations are Elixir's own.
-define(BUILTIN_STRUCTS, ['Elixir.MapSet', 'Elixir.Range', 'Elixir.Date', 'Elixir.Time', 'Elixir.DateTime',
                          'Elixir.NaiveDateTime', 'Elixir.Version', 'Elixir.URI', 'Elixir.Regex']).

%% Is Module.Function/Arity on the pure allow-list?
-spec allowed(module(), atom(), arity()) -> boolean().
allowed(M, F, _A) ->
    lists:member(F, maps:get(M, ?MODULES, [])).

%% Checks (and rewrites, see the header) a quoted Elixir expression for a hover or a watch.
-spec check(term()) -> {ok, term()} | {refused, binary()}.
check(Ast) -> check(Ast, hover).

%% The same check, the refusal worded for Use.
-spec check(term(), use()) -> {ok, term()} | {refused, binary()}.
check(Ast, Use) ->
    try {ok, walk(Ast)}
    catch throw:{esc_impure, Why} -> {refused, iolist_to_binary(refusal(Use, Why))}
    end.

-define(OPT_IN, "; set \"allowSideEffects\": true in the launch configuration to allow it").

refusal(hover, {call, Name}) ->
    [Name, " is not on the pure allow-list (hovers and watches only call functions that cannot change the program)"];
refusal(hover, {form, Show}) -> [Show, " is not allowed in hovers and watches"];
refusal(hover, Text) -> Text;
refusal(Use, {call, Name}) -> [what(Use), " calls ", Name, ", which may have side effects", ?OPT_IN];
refusal(Use, {form, Show}) -> [what(Use), " uses ", Show, ", which may have side effects", ?OPT_IN];
refusal(Use, Text) -> [what(Use), ": ", Text, ?OPT_IN].

what(condition) -> "condition";
what(log) -> "log message".

%% ---------------------------------------------------------------- the walk

refuse(Fmt, Args) -> throw({esc_impure, io_lib:format(Fmt, Args)}).

walk({'__block__', M, Exprs}) when is_list(Exprs) -> {'__block__', M, [walk(E) || E <- Exprs]};
walk({'__aliases__', _, Parts} = A) ->
    case lists:all(fun is_atom/1, Parts) of
        true -> A;
        false -> refuse("~ts is not a plain module name", [show(A)])
    end;
walk({Name, _, Ctx} = Var) when is_atom(Name), is_atom(Ctx) ->
    case Name of
        '__ENV__' -> refuse("__ENV__ is not available here", []);
        _ -> Var
    end;
walk({'|>', _, [L, {Call, M, Args}]}) when is_list(Args) -> walk({Call, M, [L | Args]});
walk({'|>', _, _} = P) -> refuse("cannot read the pipe ~ts", [show(P)]);
walk({in, M, [L, R]}) -> guarded(M, 'Elixir.Enum', 'member?', [walk(R), walk(L)]);
walk({{'.', _, [Left, F]}, Meta, []} = Fa) when is_atom(F) ->
    case module_of(Left) of
        {ok, Mod} -> remote(Mod, F, [], Meta, Fa);
        none ->
            case lists:keyfind(no_parens, 1, Meta) of
                {no_parens, true} -> {{'.', [], [esc_pure, field]}, [], [walk(Left), F]};
                _ -> refuse("~ts calls a function of a module held in a variable", [show(Fa)])
            end
    end;
walk({{'.', _, [Left, F]}, Meta, Args} = C) when is_atom(F), is_list(Args) ->
    case module_of(Left) of
        {ok, Mod} -> remote(Mod, F, Args, Meta, C);
        none -> refuse("~ts calls a function of a module held in a variable", [show(C)])
    end;
walk({{'.', _, [_]}, _, _} = C) ->
    refuse("~ts calls an anonymous function", [show(C)]);
walk({fn, M, Clauses}) -> {fn, M, [clause(Cl) || Cl <- Clauses]};
walk({'&', _, [N]} = A) when is_integer(N) -> A;
walk({'&', _, [{'/', _, [{{'.', _, [Left, F]}, _, []}, Arity]}]} = C) when is_atom(F), is_integer(Arity) ->
    case module_of(Left) of
        {ok, Mod} -> allowed(Mod, F, Arity) orelse not_listed(Mod, F, Arity), C;
        none -> refuse("~ts captures a function of a module held in a variable", [show(C)])
    end;
walk({'&', _, [{'/', _, [{F, _, Ctx}, Arity]}]} = C) when is_atom(F), is_atom(Ctx), is_integer(Arity) ->
    allowed('Elixir.Kernel', F, Arity) orelse not_listed('Elixir.Kernel', F, Arity),
    C;
walk({'&', M, [Body]}) -> {'&', M, [walk(Body)]};
walk({'::', M, [L, Type]}) -> {'::', M, [walk(L), Type]};          % a bitstring segment's type is not evaluated
walk({Form, M, Args}) when Form =:= '{}'; Form =:= '%{}'; Form =:= '<<>>'; Form =:= '|'; Form =:= '%' ->
    {Form, M, [walk(A) || A <- Args]};
walk({Form, M, [Head, Kw]}) when Form =:= 'if'; Form =:= 'unless'; Form =:= 'case' ->
    {Form, M, [walk(Head), block(Kw)]};
walk({'cond', M, [[{do, Clauses}]]}) when is_list(Clauses) ->
    {'cond', M, [[{do, [{'->', CM, [walk(Conds), walk(Body)]} || {'->', CM, [Conds, Body]} <- Clauses]}]]};
walk({'->', M, [Params, Body]}) -> {'->', M, [Params, walk(Body)]};
walk({Name, Meta, Args} = C) when is_atom(Name), is_list(Args) ->
    Arity = length(Args),
    case lists:member(Name, ?KERNEL) of
        true ->
            case lists:member(Name, ?GUARDED_KERNEL) of
                true -> guarded(Meta, 'Elixir.Kernel', Name, [walk(A) || A <- Args]);
                false -> {Name, Meta, [walk(A) || A <- Args]}
            end;
        false when Name =:= '@'; Name =:= '^'; Name =:= quote; Name =:= unquote; Name =:= import;
                   Name =:= require; Name =:= alias; Name =:= use; Name =:= 'receive'; Name =:= 'try';
                   Name =:= 'for'; Name =:= with; Name =:= super ->
            throw({esc_impure, {form, show(C)}});
        false -> not_listed('Elixir.Kernel', Name, Arity)
    end;
walk({A, B}) -> {walk(A), walk(B)};
walk(L) when is_list(L) -> [walk(E) || E <- L];
walk(Lit) when is_atom(Lit); is_number(Lit); is_binary(Lit) -> Lit;
walk(Other) -> refuse("cannot read ~ts", [show(Other)]).

clause({'->', M, [Params, Body]}) -> {'->', M, [Params, walk(Body)]};
clause(Other) -> refuse("cannot read ~ts", [show(Other)]).

%% do/else blocks of if, unless, case and cond.
block(Kw) when is_list(Kw) ->
    [{K, case V of
             Clauses when is_list(Clauses) -> [walk(Cl) || Cl <- Clauses];
             _ -> walk(V)
         end} || {K, V} <- Kw];
block(Other) -> refuse("cannot read ~ts", [show(Other)]).

remote(Mod, F, Args, Meta, C) ->
    case allowed(Mod, F, length(Args)) of
        true -> guarded(Meta, Mod, F, [walk(A) || A <- Args]);
        false -> not_listed(Mod, F, length(Args)), C
    end.

%% A remote call goes through call/3 (which checks its arguments first) when its module dispatches
%% through a protocol or Access; other listed calls stay direct.
guarded(Meta, 'Elixir.Kernel', to_string, Args) -> guarded(Meta, 'Elixir.String.Chars', to_string, Args);
guarded(Meta, 'Elixir.Kernel', to_charlist, Args) -> guarded(Meta, 'Elixir.List.Chars', to_charlist, Args);
guarded(Meta, Mod, F, Args) ->
    case lists:member(Mod, ?GUARDED) orelse (Mod =:= 'Elixir.Kernel' andalso lists:member(F, ?GUARDED_KERNEL)) of
        true -> {{'.', [], [esc_pure, call]}, Meta, [Mod, F, Args]};
        false -> {{'.', [], [Mod, F]}, Meta, Args}
    end.

module_of({'__aliases__', _, Parts}) when is_list(Parts) ->
    case lists:all(fun is_atom/1, Parts) of
        true -> {ok, binary_to_atom(iolist_to_binary(["Elixir" | [[".", atom_to_binary(P, utf8)] || P <- Parts]]), utf8)};
        false -> none
    end;
module_of(A) when is_atom(A) -> {ok, A};
module_of(_) -> none.

not_listed(Mod, F, Arity) ->
    throw({esc_impure, {call, io_lib:format("~ts/~b", [mfa_name(Mod, F), Arity])}}).

mfa_name('Elixir.Kernel', F) -> atom_to_binary(F, utf8);
mfa_name(Mod, F) ->
    case atom_to_binary(Mod, utf8) of
        <<"Elixir.", Name/binary>> -> [Name, ".", atom_to_binary(F, utf8)];
        Name -> [":", Name, ".", atom_to_binary(F, utf8)]
    end.

show(Ast) ->
    try 'Elixir.Macro':to_string(Ast)
    catch _:_ -> io_lib:format("~0tp", [Ast])
    end.

%% ---------------------------------------------------------------- at run time

%% `expr.field`: the map's value (a KeyError as Elixir's own), never a call on an atom.
-spec field(term(), atom()) -> term().
field(Map, Key) when is_map(Map) ->
    case Map of
        #{Key := V} -> V;
        _ -> erlang:error('Elixir.KeyError':exception([{key, Key}, {term, Map}]))
    end;
field(Other, Key) ->
    throw({esc_impure, io_lib:format("~ts.~ts: the value is not a map (a hover never calls a function "
                                     "through a module held in a value)", [show_value(Other), Key])}).

%% A call that dispatches through a protocol or Access, after checking that no argument holds a
%% struct whose implementation is user code.
-spec call(module(), atom(), [term()]) -> term().
call(Mod, F, Args) ->
    [case user_struct(A, 0) of
         none -> ok;
         S -> throw({esc_impure, io_lib:format("~ts would run ~ts's own protocol or Access implementation",
                                                [mfa_name(Mod, F), show_value(S)])})
     end || A <- Args],
    apply(Mod, F, Args).

user_struct(_, D) when D > 64 -> none;
user_struct(#{'__struct__' := S}, _) when is_atom(S) ->
    case lists:member(S, ?BUILTIN_STRUCTS) of true -> none; false -> S end;
user_struct(M, D) when is_map(M) -> first(maps:values(M), D);
user_struct(L, D) when is_list(L) -> first(L, D);
user_struct(T, D) when is_tuple(T) -> first(tuple_to_list(T), D);
user_struct(_, _) -> none.

first([H | T], D) ->
    case user_struct(H, D + 1) of none -> first(T, D); S -> S end;
first(_, _) -> none.

show_value(A) when is_atom(A) ->
    case atom_to_binary(A, utf8) of <<"Elixir.", N/binary>> -> N; N -> [":", N] end;
show_value(V) -> io_lib:format("~0tP", [V, 6]).
