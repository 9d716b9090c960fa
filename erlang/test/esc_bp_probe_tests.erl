%% Line probes on the real example GenServer: body-line breakpoints with conditions over locals,
%% disabled probes staying silent, restore to the exact original object code.
-module(esc_bp_probe_tests).

-include_lib("eunit/include/eunit.hrl").

-define(ACC, 'Elixir.Bank.Account').

acc() -> esc_bp_fixture:bank_source("account.ex").

drain() ->
    receive {trace, _, call, _, _} = M -> [M | drain()];
            {trace, _, call, _} = M -> [M | drain()]
    after 0 -> []
    end.

md5(M) -> M:module_info(md5).

%% `fee = fee_for(amount)` is on line 33; the breakpoint on line 35 (`state = %{state | ...}`)
%% tests it: withdraw 105 pays a fee of 1, withdraw 5 none.
body_line_condition_on_local_assigned_two_lines_earlier_test() ->
    esc_bp_fixture:setup(),
    {module, _} = code:ensure_loaded(?ACC),
    Orig = md5(?ACC),
    try
        {ok, P} = esc_bp_plan:prepare(#{id => 11, file => acc(), line => 35, condition => <<"fee > 0">>},
                                 #{ebin_dirs => [esc_bp_fixture:bank_ebin()]}),
        ?assertMatch(#{kind := body, line := 35}, P),
        [Stub] = esc_bp_ms:patterns([P]),
        ?assertMatch({'esc_probe@Elixir.Bank.Account', _, 5}, Stub),
        Ms = esc_bp_ms:match_specs([P], Stub, []),
        ?assertMatch([{['$1', '$2', '$3', '$4', '$5'], [{'>', '$4', 0}], [{message, {const, {esc_bp, [11]}}}]}], Ms),
        1 = erlang:trace_pattern(Stub, Ms, [global]),
        Pid = esc_bp_fixture:start_account(b, 1000),
        1 = erlang:trace(Pid, true, [call]),
        {ok, 995} = gen_server:call(Pid, {withdraw, 5}),
        {ok, 889} = gen_server:call(Pid, {withdraw, 105}),
        {ok, 884} = gen_server:call(Pid, {withdraw, 5}),
        _ = sys:get_state(Pid),
        [Msg] = drain(),
        {ok, Ev} = esc_probe:line_event(Msg),
        ?assertMatch(#{module := ?ACC, function := handle_call, arity := 3, line := 35, tag := {esc_bp, [11]}}, Ev),
        ?assertEqual(acc(), maps:get(file, Ev)),
        B = maps:get(bindings, Ev),
        ?assertEqual({<<"fee">>, 1}, lists:keyfind(<<"fee">>, 1, B)),
        ?assertEqual({<<"new_balance">>, 889}, lists:keyfind(<<"new_balance">>, 1, B)),
        ?assertEqual({<<"amount">>, 105}, lists:keyfind(<<"amount">>, 1, B)),
        ?assertMatch({<<"state">>, #{balance := 995}}, lists:keyfind(<<"state">>, 1, B)),
        ?assertMatch({[{stop, 11}], #{line := 35}, _}, esc_bp_hit:on_hit([P], Msg, #{})),
        exit(Pid, kill)
    after
        ok = esc_probe:restore_all()
    end,
    ?assertEqual(Orig, md5(?ACC)).

restore_puts_original_object_code_back_test() ->
    esc_bp_fixture:setup(),
    {module, _} = code:ensure_loaded(?ACC),
    Orig = md5(?ACC),
    {ok, Disk} = beam_lib:md5(code:which(?ACC)),
    ?assertEqual({?ACC, Orig}, Disk),
    {ok, Probes} = esc_probe:instrument(?ACC),
    ?assert(length(Probes) >= 8),
    ?assertNotEqual(Orig, md5(?ACC)),
    ?assertEqual([?ACC], esc_probe:instrumented()),
    %% Probes are only on the module's own lines (not on `use GenServer`'s injected callbacks).
    ?assert(lists:all(fun(#{line := L}) -> L < 50 end, Probes)),
    Stub = esc_probe:stub_name(?ACC),
    ?assertMatch({file, _}, code:is_loaded(Stub)),
    ok = esc_probe:restore_all(),
    ?assertEqual(Orig, md5(?ACC)),
    ?assertEqual([], esc_probe:instrumented()),
    ?assertEqual(false, code:is_loaded(Stub)),
    ?assertEqual(code:which(?ACC), element(2, code:is_loaded(?ACC))).

disabled_probes_send_nothing_test() ->
    esc_bp_fixture:setup(),
    {ok, _} = esc_probe:instrument(?ACC),
    try
        Pid = esc_bp_fixture:start_account(b, 1000),
        1 = erlang:trace(Pid, true, [call]),
        [gen_server:call(Pid, {withdraw, 105}) || _ <- lists:seq(1, 5)],
        _ = sys:get_state(Pid),
        ?assertEqual([], drain()),
        ?assertEqual(1000 - 5 * 106, maps:get(balance, sys:get_state(Pid))),
        exit(Pid, kill)
    after
        ok = esc_probe:restore_all()
    end.

erlang_module_probe_test() ->
    esc_bp_fixture:setup(),
    {ok, P} = esc_bp_plan:prepare(#{id => 12, file => list_to_binary(esc_bp_fixture:erl_file()), line => 6,
                               condition => <<"Y > 10">>}, #{}),
    [Stub] = esc_bp_ms:patterns([P]),
    1 = erlang:trace_pattern(Stub, esc_bp_ms:match_specs([P], Stub, []), [global]),
    Self = self(),
    {Pid, Ref} = spawn_monitor(fun() ->
                                        receive go -> ok end,
                                        Self ! {res, [esc_fx_erl:f({ok, X}) || X <- [1, 20]]}
                                end),
    1 = erlang:trace(Pid, true, [call]),
    Pid ! go,
    receive {res, R} -> ?assertEqual([4, 42], R) end,
    receive {'DOWN', Ref, _, _, _} -> ok end,
    try
        [Msg] = drain(),
        ?assertMatch({ok, #{module := esc_fx_erl, function := f, arity := 1, line := 6,
                            bindings := [{<<"X">>, 20}, {<<"Y">>, 21}]}}, esc_probe:line_event(Msg))
    after
        ok = esc_probe:restore_all()
    end.

no_debug_info_test() ->
    esc_bp_fixture:setup(),
    {module, _} = code:ensure_loaded(esc_fx_nodbg),
    {error, E} = esc_probe:instrument(esc_fx_nodbg),
    ?assertMatch(#{reason := no_debug_info}, E),
    ?assertNotEqual(nomatch, binary:match(maps:get(message, E), <<"debug info">>)).

owner_exit_restores_test() ->
    esc_bp_fixture:setup(),
    {module, _} = code:ensure_loaded(?ACC),
    Orig = md5(?ACC),
    Owner = spawn(fun() -> receive stop -> ok end end),
    {ok, _} = esc_probe:instrument(?ACC, #{owner => Owner}),
    ?assertNotEqual(Orig, md5(?ACC)),
    Owner ! stop,
    wait(fun() -> md5(?ACC) =:= Orig end, 100),
    ?assertEqual(Orig, md5(?ACC)),
    ?assertEqual([], esc_probe:instrumented()).

%% The user reloads the module while it is instrumented: the next instrument/1 re-instruments the
%% new code, and restore goes back to it (not to a stale copy).
reload_while_instrumented_test() ->
    esc_bp_fixture:setup(),
    {module, _} = code:ensure_loaded(?ACC),
    Orig = md5(?ACC),
    {ok, [#{id := Id1} | _]} = esc_probe:instrument(?ACC),
    true = code:soft_purge(?ACC),
    {module, _} = code:load_file(?ACC),
    ?assertEqual(Orig, md5(?ACC)),
    {ok, [#{id := Id2} | _]} = esc_probe:instrument(?ACC),
    ?assertNotEqual(Id1, Id2),
    ?assertNotEqual(Orig, md5(?ACC)),
    ok = esc_probe:restore_all(),
    ?assertEqual(Orig, md5(?ACC)).

%% lineProbes: every line of the module recorded, in execution order, with its locals.
line_by_line_recording_test() ->
    esc_bp_fixture:setup(),
    {ok, _} = esc_probe:instrument(?ACC),
    try
        ?assert(esc_probe:enable_all(?ACC, true) > 0),
        Pid = esc_bp_fixture:start_account(b, 1000),
        1 = erlang:trace(Pid, true, [call]),
        {ok, 894} = gen_server:call(Pid, {withdraw, 105}),
        _ = sys:get_state(Pid),
        Events = [E || M <- drain(), {ok, E} <- [esc_probe:line_event(M)]],
        ?assertEqual([33, 34, 35, 36, 37], [L || #{line := L} <- Events]),
        #{bindings := B37} = lists:last(Events),
        %% `state` is the rebound version from line 35 by line 37.
        ?assertMatch({<<"state">>, #{balance := 894, ops := 1}}, lists:keyfind(<<"state">>, 1, B37)),
        exit(Pid, kill)
    after
        ok = esc_probe:restore_all()
    end.

wait(F, 0) -> F();
wait(F, N) ->
    case F() of
        true -> true;
        false -> timer:sleep(20), wait(F, N - 1)
    end.

%% A module compiled in memory from an .exs (a test module: no .beam; its object code kept by
%% esc_inmem): a body-line breakpoint instruments it from that copy, stops with the line's locals,
%% and restore puts exactly that code back, still without a file.
in_memory_module_probe_test() ->
    esc_bp_fixture:setup(),
    Src = filename:join(esc_bp_fixture:dir(), "probe_inmem_test.exs"),
    Forms = [{attribute, 1, file, {Src, 1}}, {attribute, 1, module, esc_fx_inmem_probe},
             {attribute, 2, export, [{f, 1}]},
             {function, 3, f, 1, [{clause, 3, [{var, 3, 'X'}], [],
                                   [{match, 4, {var, 4, 'Y'}, {op, 4, '*', {var, 4, 'X'}, {integer, 4, 2}}},
                                    {op, 5, '+', {var, 5, 'Y'}, {integer, 5, 1}}]}]}],
    {ok, esc_fx_inmem_probe, Bin} = compile:forms(Forms, [binary, debug_info, {source, Src}]),
    _ = esc_inmem:store(esc_fx_inmem_probe, list_to_binary(Src), Bin),
    {module, _} = code:load_binary(esc_fx_inmem_probe, "", Bin),
    Orig = md5(esc_fx_inmem_probe),
    try
        {ok, P} = esc_bp_plan:prepare(#{id => 14, file => list_to_binary(Src), line => 5, condition => <<"Y > 10">>}, #{}),
        ?assertMatch(#{kind := body, line := 5}, P),
        ?assertEqual("", code:which(esc_fx_inmem_probe)),
        [Stub] = esc_bp_ms:patterns([P]),
        1 = erlang:trace_pattern(Stub, esc_bp_ms:match_specs([P], Stub, []), [global]),
        Self = self(),
        {Pid, Ref} = spawn_monitor(fun() ->
                                            receive go -> ok end,
                                            Self ! {res, [esc_fx_inmem_probe:f(X) || X <- [1, 20]]}
                                    end),
        1 = erlang:trace(Pid, true, [call]),
        Pid ! go,
        receive {res, R} -> ?assertEqual([3, 41], R) end,
        receive {'DOWN', Ref, _, _, _} -> ok end,
        [Msg] = drain(),
        ?assertMatch({ok, #{module := esc_fx_inmem_probe, function := f, arity := 1, line := 5,
                            bindings := [{<<"X">>, 20}, {<<"Y">>, 40}]}}, esc_probe:line_event(Msg))
    after
        ok = esc_probe:restore_all()
    end,
    ?assertEqual(Orig, md5(esc_fx_inmem_probe)),
    ?assertEqual("", code:which(esc_fx_inmem_probe)).
