%% Breakpoint conditions and log messages under the pure allow-list (esc_pure, the list hovers use):
%% calls that may have side effects are refused naming the call unless allow_side_effects is set;
%% conditions that raise are detected (also when the VM evaluates them), counted and reported once.
-module(esc_bp_effects_tests).

-include_lib("eunit/include/eunit.hrl").

-define(ACC, 'Elixir.Bank.Account').
-define(OPT_IN, <<"set \"allowSideEffects\": true in the launch configuration to allow it">>).

acc() -> esc_bp_fixture:bank_source("account.ex").

prep(Id, Spec, Opts) ->
    esc_bp_plan:prepare(maps:merge(#{id => Id, file => acc(), line => 31}, Spec),
                   maps:merge(#{ebin_dirs => [esc_bp_fixture:bank_ebin()]}, Opts)).

check(Src) ->
    {ok, Ast} = esc_bp_cond:parse(Src),
    esc_pure:check(Ast, condition).

has(Text, Part) -> binary:match(Text, Part) =/= nomatch.

%% ------------------------------------------------------------------ the allow-list

refused_calls_are_named_test() ->
    esc_bp_fixture:ensure_elixir(),
    Named = [{<<"File.rm!(\"x\")">>, <<"condition calls File.rm!/1, which may have side effects">>},
             {<<"send(self(), :x)">>, <<"condition calls send/2">>},
             {<<"spawn(fn -> 1 end)">>, <<"condition calls spawn/1">>},
             {<<"apply(Bank.Account, :init, [[]])">>, <<"condition calls apply/3">>},
             {<<":erlang.halt()">>, <<"condition calls :erlang.halt/0">>},
             {<<":erlang.put(:k, 1) == nil">>, <<"condition calls :erlang.put/2">>},
             {<<":ets.insert(:t, {1}) and true">>, <<"condition calls :ets.insert/2">>},
             {<<"System.cmd(\"ls\", []) != nil">>, <<"condition calls System.cmd/2">>},
             {<<"Process.put(:k, 1)">>, <<"condition calls Process.put/2">>},
             {<<"Process.exit(pid, :kill)">>, <<"condition calls Process.exit/2">>},
             {<<"GenServer.call(pid, :balance) > 1">>, <<"condition calls GenServer.call/2">>},
             {<<"IO.inspect(amount) > 1">>, <<"condition calls IO.inspect/1">>},
             {<<"String.to_atom(s) == :a">>, <<"condition calls String.to_atom/1">>},
             {<<"mod.run() == 1">>, <<"calls a function of a module held in a variable">>},
             {<<"f.(1) == 1">>, <<"calls an anonymous function">>},
             {<<"receive do x -> x end">>, <<"condition uses receive">>}],
    [begin
         {refused, Why} = check(Src),
         ?assert(has(Why, Part), {Src, Why}),
         ?assert(has(Why, ?OPT_IN), {Src, Why})
     end || {Src, Part} <- Named].

pure_conditions_pass_test() ->
    esc_bp_fixture:ensure_elixir(),
    [?assertMatch({ok, _}, check(Src))
     || Src <- [<<"state.balance > 10 and amount < 5">>, <<"Map.get(state, :id) == :b">>,
                <<"Enum.count(list) > 2">>, <<"self() == pid or node() == :a@b">>,
                <<"match?({:ok, _}, reply)">>, <<":ets.lookup(:t, 1) == []">>, <<"Process.alive?(pid)">>,
                <<"amount in [1, 2]">>, <<"String.length(name) > 3">>, <<"hd(list) == 1">>]].

%% Hovers keep their own wording (the same list, one source of truth).
hover_wording_unchanged_test() ->
    esc_bp_fixture:ensure_elixir(),
    {ok, Ast} = esc_bp_cond:parse(<<"File.rm!(\"x\")">>),
    {refused, Why} = esc_pure:check(Ast),
    ?assert(has(Why, <<"File.rm!/1 is not on the pure allow-list">>)),
    ?assertNot(has(Why, <<"allowSideEffects">>)).

%% ------------------------------------------------------------------ breakpoints

refused_condition_leaves_breakpoint_unverified_test() ->
    esc_bp_fixture:setup(),
    {error, #{message := Msg}} = prep(1, #{condition => <<"File.rm!(\"x\") == :ok">>}, #{}),
    ?assertEqual(<<"condition calls File.rm!/1, which may have side effects; ", ?OPT_IN/binary>>, Msg),
    {error, #{message := Send}} = prep(1, #{condition => <<"send(self(), :x) == :x">>}, #{}),
    ?assert(has(Send, <<"send/2">>)),
    %% opted in: compiled as before
    ?assertMatch({ok, _}, prep(1, #{condition => <<"send(self(), :x) == :x">>}, #{allow_side_effects => true})),
    %% a pure condition is unaffected, and keeps its match-spec form
    {ok, P} = prep(1, #{condition => <<"state.balance > 10">>}, #{}),
    ?assertMatch(#{entries := [#{condition := #{ms := {_, _, _}}}]}, P),
    %% an undefined function is said as such, not as a side effect
    {error, #{message := Undef}} = prep(1, #{condition => <<"unknown_fun(amount) > 1">>}, #{}),
    ?assert(has(Undef, <<"undefined function unknown_fun/1">>)).

refused_log_message_test() ->
    esc_bp_fixture:setup(),
    {error, #{reason := invalid_log_message, message := Msg}} =
        prep(2, #{log_message => <<"balance {state.balance} {File.write!(\"x\", \"y\")}">>}, #{}),
    ?assert(has(Msg, <<"log message calls File.write!/2, which may have side effects">>)),
    ?assertMatch({ok, _}, prep(2, #{log_message => <<"{File.exists?(\"x\")}">>}, #{allow_side_effects => true})),
    %% pure parts still print, through esc_pure's rewrite when not interpreted
    {ok, L} = esc_bp_log:log_message(<<"n={Enum.count([amount, amount])} id={state.id}">>, refuse),
    B = [{<<"amount">>, 5}, {<<"state">>, #{id => b}}],
    ?assertEqual(<<"n=2 id=:b">>, esc_bp_log:format_log(L, B)),
    %% an Erlang source's variables read as aliases: a field of one is no call
    {ok, E} = esc_bp_log:log_message(<<"{State.balance}">>, refuse),
    ?assertEqual(<<"3">>, esc_bp_log:format_log(E, [{<<"State">>, #{balance => 3}}])),
    %% a field read on a value that is not a map never calls a module held in it
    ?assertEqual(<<"id=<error: state.id>">>,
                 esc_bp_log:format_log(element(2, esc_bp_log:log_message(<<"id={state.id}">>, refuse)),
                                        [{<<"state">>, ?ACC}])).

%% ------------------------------------------------------------------ raising conditions

may_raise_test() ->
    ?assertNot(esc_bp_raised:may_raise({'>', '$1', 100})),
    ?assertNot(esc_bp_raised:may_raise({'andalso', {'>', '$1', 1}, {is_atom, '$2'}})),
    ?assertNot(esc_bp_raised:may_raise({'=:=', {{'$1', {const, a}}}, {self}})),
    ?assert(esc_bp_raised:may_raise({'==', {hd, {const, []}}, 1})),
    ?assert(esc_bp_raised:may_raise({'<', {map_get, {const, balance}, '$3'}, 500})),
    ?assert(esc_bp_raised:may_raise({'andalso', '$1', true})),    % '$1' may not be a boolean
    ?assert(esc_bp_raised:may_raise({'>', {'+', '$1', 1}, 2})).

%% The trace messages a breakpoint tagged (call with a message) when Calls ran against a fresh account.
traced(Prepared, Calls) ->
    {_, Msgs} = esc_bp_fixture:traced_calls(r, 1000, Prepared, Calls),
    [M || {trace, _, call, _, _} = M <- Msgs].

%% `hd([]) == 1` is in the match-spec subset: the VM's guard raises, which used to fail the clause
%% silently. Now the call reaches the agent, whose fun raises ArgumentError: counted, never a stop.
raising_guard_reaches_the_agent_test() ->
    esc_bp_fixture:setup(),
    {ok, P} = prep(1, #{condition => <<"hd([]) == 1">>}, #{}),
    Msgs = traced([P], [{withdraw, 1}, {withdraw, 2}, {deposit, 3}]),
    ?assertEqual([{esc_bp_check, [1]}, {esc_bp_check, [1]}], [element(5, M) || M <- Msgs]),
    [?assertMatch({[{cond_raised, 1, <<"ArgumentError">>}], _, _}, esc_bp_hit:on_hit([P], M, #{})) || M <- Msgs],
    %% one that can raise but evaluates to false still sends nothing
    {ok, F} = prep(2, #{condition => <<"state.balance < 0">>}, #{}),
    ?assertEqual([], traced([F], [{withdraw, 1}, {withdraw, 2}])).

%% A condition outside the subset raises in its fun: the same report.
raising_fun_condition_test() ->
    esc_bp_fixture:setup(),
    {ok, P} = prep(3, #{condition => <<"String.length(amount) > 1">>}, #{}),
    [M | _] = traced([P], [{withdraw, 1}]),
    ?assertMatch({[{cond_raised, 3, <<"FunctionClauseError">>}], _, _}, esc_bp_hit:on_hit([P], M, #{})).

%% Counted per breakpoint, told once the count settles (a burst is one report); again only when the
%% count grew, at most every 5 s; a count that keeps growing is told after 1 s anyway.
report_once_then_when_grown_test() ->
    _ = esc_bp_store:ensure(),
    esc_bp_raised:forget(77),
    Where = fun(77) -> {ok, "lib/x.ex:12"}; (_) -> gone end,
    Sent = fun() -> receive {sent, M} -> [M | (fun Rest() -> receive {sent, M2} -> [M2 | Rest()] after 0 -> [] end end)()]
                    after 0 -> [] end end,
    Self = self(),
    Send = fun(#{msg := {notice, N}}) -> Self ! {sent, N} end,
    [esc_bp_raised:record(77, <<"ArgumentError">>) || _ <- lists:seq(1, 10)],
    ok = esc_bp_raised:report(Where, Send),
    ?assertEqual([], Sent()),                                   % still growing: wait a tick
    [esc_bp_raised:record(77, <<"ArgumentError">>) || _ <- lists:seq(1, 2)],
    ok = esc_bp_raised:report(Where, Send),
    ?assertEqual([], Sent()),
    ok = esc_bp_raised:report(Where, Send),                     % settled
    ?assertMatch([#{code := 2201, severity := 'WARNING',
                    message := <<"Breakpoint at lib/x.ex:12: condition raised ArgumentError on 12 hits; treated as false">>}],
                 Sent()),
    ok = esc_bp_raised:report(Where, Send),
    ?assertEqual([], Sent()),                                   % not grown
    esc_bp_raised:record(77, <<"KeyError">>),
    ok = esc_bp_raised:report(Where, Send),
    ?assertEqual([], Sent()),                                   % grown, but told less than 5 s ago
    ets:update_element(esc_bp_set, {raised_told, 77}, {3, erlang:monotonic_time(millisecond) - 6000}),
    ok = esc_bp_raised:report(Where, Send),
    [#{message := Again}] = Sent(),
    ?assert(has(Again, <<"ArgumentError on 13 hits">>)),
    %% growing on every tick: told after 1 s of growth even though it never settles
    ets:update_element(esc_bp_set, {raised_told, 77}, {3, erlang:monotonic_time(millisecond) - 6000}),
    esc_bp_raised:record(77, <<"ArgumentError">>),
    ok = esc_bp_raised:report(Where, Send),
    ?assertEqual([], Sent()),
    ets:update_element(esc_bp_set, {raised_told, 77}, {5, erlang:monotonic_time(millisecond) - 1500}),
    esc_bp_raised:record(77, <<"ArgumentError">>),
    ok = esc_bp_raised:report(Where, Send),
    [#{message := Growing}] = Sent(),
    ?assert(has(Growing, <<"on 15 hits">>)),
    %% a breakpoint that is gone is forgotten
    ok = esc_bp_raised:report(fun(_) -> gone end, Send),
    ?assertEqual([], ets:lookup(esc_bp_set, {raised, 77})).

%% ------------------------------------------------------------------ through the engine

%% Driven as esc_conn drives it (Configure, then SetBreakpoints), this process as the sink.
engine_test_() ->
    {timeout, 60, fun engine_end_to_end/0}.

engine_end_to_end() ->
    esc_bp_fixture:setup(),
    esc_trace:stop(),
    esc_bp_set:reset(),
    try
        Set = fun(Bps) ->
                      #{breakpoints := States} =
                          esc_bp_set:set_breakpoints(#{file => acc(), ebin_dirs => [list_to_binary(esc_bp_fixture:bank_ebin())],
                                                    breakpoints => [maps:merge(#{line => 31, function => <<>>, condition => <<>>,
                                                                                 hit_condition => <<>>, log_message => <<>>}, B)
                                                                    || B <- Bps]}),
                      States
              end,
        Configure = fun(Allow) ->
                            esc_trace:stop(),
                            {ok, _} = esc_trace:configure(esc_bp_set:engine_config(#{modules => [], sink => self(), tick_ms => 100,
                                                                                  allow_side_effects => Allow}))
                    end,
        Configure(false),
        [#{verified := false, message := Refused}] = Set([#{id => 1, condition => <<"File.rm!(\"x\") == :ok">>}]),
        ?assert(has(Refused, <<"condition calls File.rm!/1">>)),
        Configure(true),
        ?assertMatch([#{verified := true}], Set([#{id => 2, condition => <<"File.exists?(\"x\")">>}])),
        Configure(false),
        [#{verified := true}] = Set([#{id => 3, condition => <<"hd([]) == 1">>}]),
        Pid = esc_bp_fixture:start_account(r2, 1000),
        [{ok, _} = gen_server:call(Pid, {withdraw, 1}) || _ <- lists:seq(1, 12)],
        Notices = [N || #{msg := {notice, #{code := 2201} = N}} <- collect(800)],
        ?assertMatch([#{message := <<"Breakpoint at ", _/binary>>}], Notices),
        [#{message := Text}] = Notices,
        ?assert(has(Text, <<"account.ex:31: condition raised ArgumentError on 12 hits; treated as false">>)),
        exit(Pid, kill)
    after
        esc_trace:stop(),
        esc_bp_set:reset()
    end.

collect(Ms) ->
    receive {esc_send, Io} -> [esc_proto:decode_msg(iolist_to_binary(Io), 'AgentMessage') | collect(Ms)]
    after Ms -> []
    end.
