%% Evaluates Elixir (or, on a node without Elixir, Erlang) source on the live node, in a throwaway
%% process with a time limit, and captures the result as a bounded Term: for the Debug Console (any
%% code, with the cursor's bindings) and for hovers and watches (`pure`: only calls on esc_pure's
%% allow-list, checked before anything runs).
-module(esc_eval).

-export([request/1, evaluate/2, bindings/3]).

-define(TIMEOUT, 5000).
%% Error codes (adapter/errors.ts knows them by number).
-define(E_TIMEOUT, 2110).
-define(E_FAILED, 2111).
-define(E_IMPURE, 2112).

%% An Evaluate command (decoded map): code, bindings, pure, events.
-spec request(map()) -> {eval, map()} | {error, map()}.
request(#{code := Code} = Req) ->
    run_limited(Code, maps:get(bindings, Req, []), maps:get(pure, Req, false), maps:get(events, Req, [])).

%% The Debug Console's evaluation (kept for callers that have only code and bindings).
-spec evaluate(binary(), [map()]) -> {eval, map()} | {error, map()}.
evaluate(Code, Bindings) ->
    run_limited(Code, Bindings, false, []).

run_limited(Code, Bindings, Pure, Events) ->
    Parent = self(),
    {Usable, Skipped} = bindings(Bindings, Events, Pure),
    {Pid, Ref} = spawn_monitor(fun() -> Parent ! {self(), note_skipped(run(Code, Usable, Pure), Skipped)} end),
    receive
        {Pid, Result} -> demonitor(Ref, [flush]), Result;
        {'DOWN', Ref, process, Pid, Reason} -> error_result(Reason)
    after ?TIMEOUT ->
        exit(Pid, kill),
        {error, #{code => ?E_TIMEOUT, message => <<"evaluation took longer than 5 s and was stopped">>}}
    end.

%% The bindings to evaluate with: the exact terms the agent still holds for the events the bindings
%% come from (esc_hits: recent breakpoint hits), else the captured terms rebuilt (esc_term:to_term,
%% exact for whole captures). Those that cannot be rebuilt are left out and named with the reason.
%% Pure evaluations also leave out bindings holding a fun: nothing but the checked expression runs.
-spec bindings([map()], [non_neg_integer()], boolean()) -> {[{atom(), term()}], [{binary(), binary()}]}.
bindings(Bindings, Events, Pure) ->
    Exact = lists:foldl(fun(Seq, Acc) ->
                                case esc_hits:lookup(Seq) of
                                    {ok, Bs} -> maps:merge(Acc, maps:from_list([{esc_lib:to_bin(N), V} || {N, V} <- Bs]));
                                    none -> Acc
                                end
                        end, #{}, Events),
    lists:foldr(fun(#{name := Name, value := V}, {Ok, Skip}) ->
                        Value = case Exact of
                                    #{Name := E} -> {ok, E};
                                    _ -> esc_term:to_term(V)
                                end,
                        case Value of
                            {ok, T} when Pure ->
                                case has_fun(T) of
                                    false -> {[{binary_to_atom(Name, utf8), T} | Ok], Skip};
                                    true -> {Ok, [{Name, <<"it holds a fun, and hovers and watches never call one">>} | Skip]}
                                end;
                            {ok, T} -> {[{binary_to_atom(Name, utf8), T} | Ok], Skip};
                            {error, Why} -> {Ok, [{Name, Why} | Skip]}
                        end;
                   (_, Acc) -> Acc
                end, {[], []}, Bindings).

has_fun(F) when is_function(F) -> true;
has_fun([H | T]) -> has_fun(H) orelse has_fun(T);
has_fun(T) when is_tuple(T) -> has_fun(tuple_to_list(T));
has_fun(M) when is_map(M) -> has_fun(maps:to_list(M));
has_fun(_) -> false.

%% An evaluation that failed while some bindings were left out says which and why.
note_skipped({error, #{code := ?E_FAILED, message := M} = E}, [_ | _] = Skipped) ->
    {error, E#{message => iolist_to_binary([M, " (not available here: ",
                                             lists:join("; ", [[N, <<" — "/utf8>>, Why] || {N, Why} <- Skipped]), ")"])}};
note_skipped(Result, _) -> Result.

run(Code, Bindings, Pure) ->
    try
        Value = case code:ensure_loaded('Elixir.Code') of
                    {module, _} when Pure -> pure_eval(Code, Bindings);
                    {module, _} -> element(1, 'Elixir.Code':eval_string(Code, Bindings));
                    _ when Pure -> throw({esc_impure, <<"hovers and watches are evaluated on the node only where Elixir is loaded">>});
                    _ -> erlang_eval(Code, Bindings)
                end,
        %% A pure result is printed by the adapter from the capture: inspect/2 could run a struct's own
        %% Inspect implementation.
        {eval, case Pure of
                   true -> #{value => esc_term:capture(Value)};
                   false -> #{value => esc_term:capture(Value), printed => print(Value)}
               end}
    catch
        throw:{esc_impure, Why} ->
            {error, #{code => ?E_IMPURE, message => iolist_to_binary(["not evaluated: ", Why])}};
        Class:Reason:Stack -> error_result({Class, Reason, Stack})
    end.

pure_eval(Code, Bindings) ->
    case 'Elixir.Code':string_to_quoted(Code) of
        {ok, Ast} ->
            case esc_pure:check(Ast) of
                {ok, Safe} -> element(1, 'Elixir.Code':eval_quoted(Safe, Bindings));
                {refused, Why} -> throw({esc_impure, Why})
            end;
        {error, {_Meta, Msg, Token}} ->
            erlang:error('Elixir.SyntaxError':exception([{description, iolist_to_binary([flat(Msg), flat(Token)])}]))
    end.

flat(B) when is_binary(B) -> B;
flat(L) when is_list(L) -> esc_lib:fmt("~ts", [L]);
flat({A, B}) -> [flat(A), flat(B)];
flat(Other) -> esc_lib:fmt("~0tp", [Other]).

erlang_eval(Code, Bindings) ->
    {ok, Tokens, _} = erl_scan:string(unicode:characters_to_list(Code) ++ "."),
    {ok, Exprs} = erl_parse:parse_exprs(Tokens),
    Initial = lists:foldl(fun({K, V}, B) -> erl_eval:add_binding(K, V, B) end, erl_eval:new_bindings(), Bindings),
    {value, V, _} = erl_eval:exprs(Exprs, Initial),
    V.

print(Value) ->
    case code:ensure_loaded('Elixir.Kernel') of
        {module, _} -> 'Elixir.Kernel':inspect(Value, [{pretty, true}, {limit, 200}]);
        _ -> esc_lib:fmt("~0tp", [Value])
    end.

error_result({Class, Reason, _Stack}) ->
    Message = case code:ensure_loaded('Elixir.Exception') of
                  {module, _} -> 'Elixir.Exception':format_banner(Class, Reason, []);
                  _ -> esc_lib:fmt("~p: ~0tp", [Class, Reason])
              end,
    {error, #{code => ?E_FAILED, message => Message}};
error_result(Reason) ->
    {error, #{code => ?E_FAILED, message => esc_lib:fmt("~0tp", [Reason])}}.
