%% Evaluates Elixir (or, on a node without Elixir, Erlang) source on the live node for the Debug
%% Console, in a throwaway process with a time limit, and captures the result as a bounded Term.
-module(esc_eval).

-export([evaluate/2]).

-define(TIMEOUT, 5000).

%% Bindings come from the recording (captured values at the debugger's cursor); they are only
%% available when they were captured completely, so cut ones are left out (and named in the result).
-spec evaluate(binary(), [map()]) -> {eval, map()} | {error, map()}.
evaluate(Code, Bindings) ->
    Parent = self(),
    {Usable, Skipped} = bindings(Bindings),
    {Pid, Ref} = spawn_monitor(fun() -> Parent ! {self(), note_skipped(run(Code, Usable), Skipped)} end),
    receive
        {Pid, Result} -> demonitor(Ref, [flush]), Result;
        {'DOWN', Ref, process, Pid, Reason} -> error_result(Reason)
    after ?TIMEOUT ->
        exit(Pid, kill),
        {error, #{code => 2110, message => <<"evaluation took longer than 5 s and was stopped">>}}
    end.

bindings(Bindings) ->
    lists:foldr(fun(#{name := Name, value := V}, {Ok, Skip}) ->
                        case esc_term:to_term(V) of
                            {ok, T} -> {[{binary_to_atom(Name, utf8), T} | Ok], Skip};
                            {error, _} -> {Ok, [Name | Skip]}
                        end;
                   (_, Acc) -> Acc
                end, {[], []}, Bindings).

%% An evaluation that failed because a cut binding was left out says so.
note_skipped({error, #{message := M} = E}, [_ | _] = Skipped) ->
    {error, E#{message => iolist_to_binary([M, " (not available, cut by the capture limits: ",
                                             lists:join(", ", Skipped), ")"])}};
note_skipped(Result, _) -> Result.

run(Code, Bindings) ->
    try
        Value = case code:ensure_loaded('Elixir.Code') of
                    {module, _} -> element(1, 'Elixir.Code':eval_string(Code, Bindings));
                    _ -> erlang_eval(Code, Bindings)
                end,
        {eval, #{value => esc_term:capture(Value), printed => print(Value)}}
    catch
        Class:Reason:Stack -> error_result({Class, Reason, Stack})
    end.

erlang_eval(Code, Bindings) ->
    {ok, Tokens, _} = erl_scan:string(unicode:characters_to_list(Code) ++ "."),
    {ok, Exprs} = erl_parse:parse_exprs(Tokens),
    Initial = lists:foldl(fun({K, V}, B) -> erl_eval:add_binding(K, V, B) end, erl_eval:new_bindings(), Bindings),
    {value, V, _} = erl_eval:exprs(Exprs, Initial),
    V.

print(Value) ->
    case code:ensure_loaded('Elixir.Kernel') of
        {module, _} -> 'Elixir.Kernel':inspect(Value, [{pretty, true}, {limit, 200}]);
        _ -> unicode:characters_to_binary(io_lib:format("~0tp", [Value]))
    end.

error_result({Class, Reason, _Stack}) ->
    Message = case code:ensure_loaded('Elixir.Exception') of
                  {module, _} -> 'Elixir.Exception':format_banner(Class, Reason, []);
                  _ -> unicode:characters_to_binary(io_lib:format("~p: ~0tp", [Class, Reason]))
              end,
    {error, #{code => 2111, message => Message}};
error_result(Reason) ->
    {error, #{code => 2111, message => unicode:characters_to_binary(io_lib:format("~0tp", [Reason]))}}.
