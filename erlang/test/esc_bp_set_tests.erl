%% Breakpoints end to end inside the agent, on the example project's real GenServer: driven the way
%% esc_conn drives them (esc_bp_set:engine_config/1 + esc_trace:configure/1, then
%% esc_bp_set:set_breakpoints/1), with this process as the sink ({esc_send, Bin} AgentMessages).
-module(esc_bp_set_tests).

-include_lib("eunit/include/eunit.hrl").

-define(ACC, 'Elixir.Bank.Account').
-define(LEDGER, 'Elixir.Bank.Ledger').
-define(RAISED, 16#FFFFFF01).
-define(CRASH, 16#FFFFFF02).

-export([condition_on_struct_field_in_state/0, body_line_condition_on_local/0, log_point/0,
         function_breakpoints/0, exception_filters_on_genserver_raise/0, replies_moved_uncompiled_invalid/0,
         never_matching_condition_sends_nothing/0, hit_condition_modulo/0, survives_reload/0,
         stop_restores_everything/0, connection_drop_restores_everything/0, pending_until_loaded/0,
         resolved_from_ebin_before_load/0, breakpoint_only_head/0, breakpoint_only_body_line/0,
         breakpoint_only_then_plan/0, meta_timestamp_converted/0, ts_probe/1]).

bps_test_() ->
    {inorder,
     [{timeout, 60, {atom_to_list(F), fun() -> run(F) end}}
      || F <- [condition_on_struct_field_in_state, body_line_condition_on_local, log_point,
               function_breakpoints, exception_filters_on_genserver_raise, replies_moved_uncompiled_invalid,
               never_matching_condition_sends_nothing, hit_condition_modulo, survives_reload,
               pending_until_loaded, resolved_from_ebin_before_load, stop_restores_everything, connection_drop_restores_everything,
               breakpoint_only_head, breakpoint_only_body_line, breakpoint_only_then_plan,
               meta_timestamp_converted]]}.

run(F) ->
    esc_bp_fixture:setup(),
    cleanup(),
    try ?MODULE:F()
    after cleanup()
    end.

cleanup() ->
    esc_trace:stop(),
    esc_bp_set:reset(),
    [catch gen_server:stop(?LEDGER) || whereis(?LEDGER) =/= undefined],
    drain().

%% ------------------------------------------------------------------ helpers

acc() -> esc_bp_fixture:bank_source("account.ex").
ledger() -> esc_bp_fixture:bank_source("ledger.ex").

plan() -> #{modules => [<<"Elixir.Bank.Account">>, <<"Elixir.Bank.Ledger">>]}.

engine(Plan) ->
    {ok, _} = esc_trace:configure(esc_bp_set:engine_config(Plan#{sink => self(), tick_ms => 100})),
    ok.

set(File, Specs) ->
    #{breakpoints := States} =
        esc_bp_set:set_breakpoints(#{file => File, breakpoints => Specs,
                                  ebin_dirs => [list_to_binary(esc_bp_fixture:bank_ebin())]}),
    States.

%% The same defaults a decoded BreakpointSpec has.
spec(Id, Line, Extra) ->
    maps:merge(#{id => Id, line => Line, function => <<>>, condition => <<>>, hit_condition => <<>>,
                 log_message => <<>>}, Extra).

fspec(Id, Fun, Extra) -> spec(Id, 0, Extra#{function => Fun}).

drain() -> receive {esc_send, _} -> drain() after 0 -> ok end.

%% Decoded sink messages for Ms milliseconds.
collect(Ms) ->
    Deadline = erlang:monotonic_time(millisecond) + Ms,
    collect_until(Deadline, []).

collect_until(Deadline, Acc) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {esc_send, Io} -> collect_until(Deadline, [esc_proto:decode_msg(iolist_to_binary(Io), 'AgentMessage') | Acc])
    after Left -> lists:reverse(Acc)
    end.

events(Msgs) -> lists:append([batch(B) || #{msg := {events, B}} <- Msgs]).
logs(Msgs) -> [L || #{msg := {log_output, L}} <- Msgs].

batch(#{seq := Seq, kind := Kinds, pid := Pids, mfa := Mfas, body := Bodies, pids := PidT, mfas := MfaT,
        hit := Hits}) ->
    [begin
         Body = esc_proto:decode_msg(B, 'EventBody'),
         #{seq => S, kind => K, pid => lists:nth(P + 1, PidT), mfa => mfa(lists:nth(M + 1, MfaT)), hit => H,
           hits => maps:get(hits, Body, []), body => element(2, maps:get(kind, Body, {none, #{}}))}
     end || {S, K, P, M, B, H} <- zip(Seq, Kinds, Pids, Mfas, Bodies, Hits)].

zip([A | As], [B | Bs], [C | Cs], [D | Ds], [E | Es], [F | Fs]) -> [{A, B, C, D, E, F} | zip(As, Bs, Cs, Ds, Es, Fs)];
zip(_, _, _, _, _, _) -> [].

mfa(#{module := <<>>}) -> none;
mfa(#{module := M, function := F, arity := A}) -> {binary_to_atom(M, utf8), binary_to_atom(F, utf8), A}.

val(#{value := {atom, A}}) -> binary_to_atom(A, utf8);
val(#{value := {int, N}}) -> N;
val(#{value := {binary, #{data := D}}}) -> D;
val(#{value := {tuple, #{items := I}}}) -> list_to_tuple([val(X) || X <- I]);
val(#{value := {list, #{items := I}}}) -> [val(X) || X <- I];
val(#{value := {map, #{entries := E}}}) -> maps:from_list([{val(K), val(V)} || #{key := K, value := V} <- E]);
val(#{value := {etf, B}}) -> binary_to_term(B);
val(#{value := Other}) -> Other.

bindings(#{body := #{bindings := Bs}}) -> maps:from_list([{N, val(V)} || #{name := N, value := V} <- Bs]);
bindings(_) -> #{}.

marked(Evs) -> [E || #{hit := H} = E <- Evs, H =/= 0].

calls(MFA, Evs) -> [E || #{kind := 'CALL', mfa := M} = E <- Evs, M =:= MFA].

account(Id, Balance) ->
    Pid = esc_bp_fixture:start_account(Id, Balance),
    _ = sys:get_state(Pid),
    Pid.

w(Pid, N) -> gen_server:call(Pid, {withdraw, N}).
d(Pid, N) -> gen_server:call(Pid, {deposit, N}).

md5(M) -> M:module_info(md5).

disk_md5(M) -> {ok, {M, Md5}} = beam_lib:md5(code:which(M)), Md5.

%% ------------------------------------------------------------------ tests

%% `state.balance < 100` on the guarded withdraw clause (line 31) of the multi-clause handle_call/3:
%% only the withdraw that takes clause 2 with a low balance is marked, with its named bindings.
condition_on_struct_field_in_state() ->
    engine(plan()),
    [S] = set(acc(), [spec(1, 31, #{condition => <<"state.balance < 100">>})]),
    ?assertMatch(#{id := 1, verified := true, line := 31, module := <<"Elixir.Bank.Account">>}, S),
    Pid = account(c1, 300),
    {ok, 149} = w(Pid, 150),          % clause 2, balance 300: no
    {ok, 89} = w(Pid, 60),            % clause 2, balance 149: no
    {ok, 79} = w(Pid, 10),            % clause 2, balance 89: HIT
    {ok, 84} = d(Pid, 5),             % clause 1 with balance < 100: no
    {error, insufficient_funds} = w(Pid, 1000),   % clause 3 with balance < 100: no
    Evs = events(collect(500)),
    HC = calls({?ACC, handle_call, 3}, Evs),
    ?assertEqual(5, length(HC)),      % the module is recorded: every call is an event
    [Hit] = marked(HC),
    ?assertMatch(#{hit := 1, hits := [1], body := #{clause := 2, line := 31}}, Hit),
    B = bindings(Hit),
    ?assertMatch(#{<<"amount">> := 10, <<"balance">> := 89, <<"state">> := #{balance := 89, id := c1}}, B),
    ?assertEqual([], marked([E || E <- Evs, E =/= Hit])),
    exit(Pid, kill).

%% A body line (36: `Bank.Ledger.record(state.id, :withdraw, amount)`) with a condition on the
%% local `new_balance` assigned two lines earlier: a LINE event with the locals, only when true.
body_line_condition_on_local() ->
    engine(plan()),
    Orig = md5(?ACC),
    [S] = set(acc(), [spec(2, 36, #{condition => <<"new_balance < 90">>})]),
    ?assertMatch(#{verified := true, line := 36}, S),
    ?assertNotEqual(Orig, md5(?ACC)),            % instrumented with line probes
    Pid = account(c2, 200),
    {ok, 150} = w(Pid, 50),
    {ok, 95} = w(Pid, 55),
    {ok, 85} = w(Pid, 10),
    Evs = events(collect(500)),
    Lines = [E || #{kind := 'LINE'} = E <- Evs],
    ?assertMatch([#{hit := 2, hits := [2], mfa := {?ACC, handle_call, 3}, body := #{line := 36}}], Lines),
    [L] = Lines,
    ?assertEqual(acc(), maps:get(file, maps:get(body, L))),
    ?assertMatch(#{<<"new_balance">> := 85, <<"fee">> := 0, <<"amount">> := 10, <<"balance">> := 95}, bindings(L)),
    %% the module is still recorded (its patterns were put back after instrumenting)
    ?assertEqual(3, length(calls({?ACC, handle_call, 3}, Evs))),
    exit(Pid, kill),
    %% removing the breakpoint restores the original code
    [] = set(acc(), []),
    ?assertEqual(Orig, md5(?ACC)).

%% A log point prints (LogOutput with the event's seq) and does not mark the event.
log_point() ->
    engine(plan()),
    [#{verified := true}] = set(acc(), [spec(3, 25, #{log_message => <<"deposit {amount} to {state.id}">>})]),
    Pid = account(c3, 0),
    {ok, 5} = d(Pid, 5),
    {ok, 4} = w(Pid, 1),
    Msgs = collect(500),
    Evs = events(Msgs),
    ?assertEqual([], marked(Evs)),
    [Log] = logs(Msgs),
    ?assertMatch(#{breakpoint := 3, text := <<"deposit 5 to :c3">>}, Log),
    ?assertEqual(list_to_binary(pid_to_list(Pid)), maps:get(pid, Log)),
    [Call] = [E || #{kind := 'CALL', body := #{args := [A | _]}} = E <- calls({?ACC, handle_call, 3}, Evs),
                   val(A) =:= {deposit, 5}],
    ?assertEqual(maps:get(seq, Call), maps:get(seq, Log)),
    exit(Pid, kill).

%% Function breakpoints by name, with a condition over the clause's names; without arity; an
%% Erlang function; a function that does not exist.
function_breakpoints() ->
    engine(plan()),
    {ok, _} = gen_server:start({local, ?LEDGER}, ?LEDGER, [], []),
    States = set(<<>>, [fspec(4, <<"Bank.Ledger.handle_cast/2">>, #{condition => <<"kind == :withdraw">>}),
                        fspec(5, <<"Bank.Ledger.entries">>, #{}),
                        fspec(6, <<":lists.reverse/1">>, #{hit_condition => <<"== 1000000000">>}),
                        fspec(7, <<"Bank.Ledger.nope/9">>, #{})]),
    [S4, S5, S6, S7] = States,
    ?assertMatch(#{verified := true, line := 14, module := <<"Elixir.Bank.Ledger">>}, S4),
    ?assertMatch(#{verified := true, line := 8}, S5),
    ?assertMatch(#{verified := true, module := <<"lists">>}, S6),
    ?assertMatch(#{verified := false}, S7),
    ok = ?LEDGER:record(a, deposit, 1),
    ok = ?LEDGER:record(a, withdraw, 2),
    [_ | _] = ?LEDGER:entries(),
    Evs = events(collect(500)),
    [Cast] = marked(calls({?LEDGER, handle_cast, 2}, Evs)),
    ?assertMatch(#{hit := 4, hits := [4]}, Cast),
    ?assertMatch(#{<<"kind">> := withdraw, <<"amount">> := 2, <<"account">> := a}, bindings(Cast)),
    ?assertEqual(2, length(calls({?LEDGER, handle_cast, 2}, Evs))),
    ?assertMatch([#{hit := 5}], marked(calls({?LEDGER, entries, 0}, Evs))),
    %% :lists.reverse/1 carries the pattern (hit count never reached: nothing is marked)
    ?assertMatch({traced, local}, esc_tsess:info({lists, reverse, 1}, traced)),
    ?assertEqual([], marked(calls({lists, reverse, 1}, Evs))),
    %% function breakpoints replaced by an empty set: patterns gone
    [] = set(<<>>, []),
    ?assertEqual({traced, false}, esc_tsess:info({lists, reverse, 1}, traced)).

%% Exception filters: the raise inside Bank.Account.handle_call (negative withdrawal) marks the
%% EXCEPTION event (raised) and the account's abnormal EXIT (crashes). Off: nothing marked.
exception_filters_on_genserver_raise() ->
    engine(plan()),
    Crash = fun(Id) ->
                    Pid = account(Id, 10),
                    {ok, 15} = d(Pid, 5),      % runs traced code: the process gets the procs flag
                    timer:sleep(100),
                    Ref = monitor(process, Pid),
                    {'EXIT', _} = (catch w(Pid, -5)),
                    receive {'DOWN', Ref, process, Pid, _} -> ok after 2000 -> error(no_crash) end,
                    Pid
            end,
    Off = Crash(e1),
    EvsOff = events(collect(500)),
    ?assertMatch([_ | _], [E || #{kind := 'EXCEPTION', mfa := {?ACC, handle_call, 3}} = E <- EvsOff]),
    ?assertMatch([_ | _], [E || #{kind := 'EXIT', pid := P} = E <- EvsOff, P =:= list_to_binary(pid_to_list(Off))]),
    ?assertEqual([], marked(EvsOff)),
    {ok, #{}} = esc_bp_set:set_exception_filters(#{raised => true, crashes => true}),
    On = Crash(e2),
    Evs = events(collect(500)),
    [Exc] = [E || #{kind := 'EXCEPTION', mfa := {?ACC, handle_call, 3}} = E <- Evs],
    ?assertMatch(#{hit := ?RAISED, hits := [?RAISED], body := #{class := <<"error">>}}, Exc),
    OnPid = list_to_binary(pid_to_list(On)),
    [Exit] = [E || #{kind := 'EXIT', pid := P} = E <- Evs, P =:= OnPid],
    ?assertMatch(#{hit := ?CRASH, hits := [?CRASH]}, Exit),
    %% a normal exit is not a crash
    {ok, #{}} = esc_bp_set:set_exception_filters(#{raised => true, crashes => true}),
    Pid3 = account(e3, 1),
    {ok, 2} = d(Pid3, 1),
    timer:sleep(100),
    ok = gen_server:stop(Pid3),
    Evs3 = events(collect(400)),
    Pid3B = list_to_binary(pid_to_list(Pid3)),
    ?assertMatch([#{hit := 0}], [E || #{kind := 'EXIT', pid := P} = E <- Evs3, P =:= Pid3B]).

%% Replies: a line without code moves; a file nothing is compiled from, an invalid condition and a
%% line far from any code are unverified with a reason.
replies_moved_uncompiled_invalid() ->
    engine(plan()),
    [Moved, Bad, NoCode] = set(acc(), [spec(8, 30, #{}), spec(9, 31, #{condition => <<"amount >">>}),
                                       spec(10, 400, #{})]),
    ?assertMatch(#{id := 8, verified := true, line := 31, message := <<"moved to line 31">>}, Moved),
    ?assertMatch(#{id := 9, verified := false}, Bad),
    ?assert(byte_size(maps:get(message, Bad)) > 0),
    ?assertMatch(#{id := 10, verified := false}, NoCode),
    ?assertNotEqual(nomatch, binary:match(maps:get(message, NoCode), <<"No code">>)),
    [Un] = set(<<"/nowhere/lib/not_compiled.ex">>, [spec(11, 3, #{})]),
    ?assertMatch(#{id := 11, verified := false}, Un),
    ?assertNotEqual(nomatch, binary:match(maps:get(message, Un), <<"No compiled module">>)),
    %% what esc_conn sends back encodes
    Reply = #{msg => {reply, #{id => 1, result => {breakpoints, #{breakpoints => [Moved, Bad, NoCode, Un]}}}}},
    #{msg := {reply, #{result := {breakpoints, #{breakpoints := [#{line := 31} | _]}}}}} =
        esc_proto:decode_msg(iolist_to_binary(esc_proto:encode_msg(Reply, 'AgentMessage')), 'AgentMessage'),
    %% a condition on a name the clause does not bind: the compiler's message
    [Unbound] = set(ledger(), [spec(12, 14, #{condition => <<"nosuch > 1">>})]),
    ?assertMatch(#{verified := false}, Unbound),
    ?assert(byte_size(maps:get(message, Unbound)) > 0),
    %% the moved one is applied on line 31
    Pid = account(r1, 100),
    {ok, 90} = w(Pid, 10),
    ?assertMatch([#{hit := 8}], marked(events(collect(400)))),
    exit(Pid, kill).

%% A compiled condition that never holds: no trace message at all leaves the traced process
%% (the engine counts every message it receives); the same breakpoint with a true condition does.
never_matching_condition_sends_nothing() ->
    %% nothing else records Bank.Account; the plan is not empty, so processes have the `call` flag
    %% and the breakpoint is a call pattern (an empty plan: breakpoint_only_head)
    engine(#{modules => [<<"Elixir.Bank.Demo">>]}),
    [#{verified := true}] = set(acc(), [spec(13, 31, #{condition => <<"amount > 1000000">>})]),
    {match_spec, Ms} = esc_tsess:info({?ACC, handle_call, 3}, match_spec),
    ?assert(lists:any(fun({_, G, _}) -> lists:member({'>', '$2', 1000000}, G) orelse
                                            lists:keymember('>', 1, G) end, Ms)),
    Pid = account(n1, 100000),
    In0 = maps:get(events_in, esc_trace:status()),
    [{ok, _} = w(Pid, 1) || _ <- lists:seq(1, 200)],
    timer:sleep(300),
    ?assertEqual(In0, maps:get(events_in, esc_trace:status())),
    ?assertEqual([], events(collect(300))),
    %% the same breakpoint with a condition that holds: messages and marked events
    [#{verified := true}] = set(acc(), [spec(13, 31, #{condition => <<"amount > 0">>})]),
    [{ok, _} = w(Pid, 1) || _ <- lists:seq(1, 3)],
    timer:sleep(300),
    ?assert(maps:get(events_in, esc_trace:status()) >= In0 + 3),
    Evs = events(collect(300)),
    ?assertEqual(3, length(marked(calls({?ACC, handle_call, 3}, Evs)))),
    exit(Pid, kill).

%% `% 2`: every second passing hit is marked, counted across the engine's encoders.
hit_condition_modulo() ->
    engine(maps:put(encoders, 2, plan())),
    [#{verified := true}] = set(acc(), [spec(14, 25, #{hit_condition => <<"% 2">>})]),
    Pids = [account(list_to_atom("h" ++ integer_to_list(I)), 0) || I <- lists:seq(1, 4)],
    %% (calls of different processes are counted in the order the encoders see them: 30 ms apart,
    %% they are in separate batches, so that order is the call order)
    [begin {ok, _} = d(P, N), timer:sleep(30) end || {P, N} <- lists:zip(Pids, [1, 2, 3, 4])],
    Evs = events(collect(500)),
    Marked = marked(calls({?ACC, handle_call, 3}, Evs)),
    ?assertEqual(2, length(Marked)),
    ?assertEqual(4, length(calls({?ACC, handle_call, 3}, Evs))),
    ?assertEqual([{deposit, 2}, {deposit, 4}],
                 lists:sort([val(A) || #{body := #{args := [A | _]}} <- Marked])),
    %% the file's list sent again with this breakpoint unchanged: the count goes on (5: no, 6: yes)
    [#{verified := true}, #{verified := true}] = set(acc(), [spec(14, 25, #{hit_condition => <<"% 2">>}),
                                                            spec(21, 45, #{})]),
    [P1 | _] = Pids,
    {ok, _} = d(P1, 5),
    {ok, _} = d(P1, 6),
    Marked2 = marked(calls({?ACC, handle_call, 3}, events(collect(500)))),
    ?assertEqual([{deposit, 6}], [val(A) || #{body := #{args := [A | _]}} <- Marked2]),
    [exit(P, kill) || P <- Pids].

%% Breakpoints survive a reload of the module (user recompiles / code reloader): the head
%% breakpoint's pattern and the body breakpoint's probes come back.
survives_reload() ->
    engine(plan()),
    [#{verified := true}, #{verified := true}] =
        set(acc(), [spec(15, 25, #{}), spec(16, 36, #{})]),
    Instrumented = md5(?ACC),
    %% reload the original from disk, as `recompile` would
    code:purge(?ACC),
    {module, ?ACC} = code:load_file(?ACC),
    ?assertEqual(disk_md5(?ACC), md5(?ACC)),
    Deadline = erlang:monotonic_time(millisecond) + 3000,
    WaitFor = fun Wait() ->
                      case md5(?ACC) =/= disk_md5(?ACC) andalso
                          element(1, esc_tsess:info({?ACC, handle_call, 3}, match_spec)) =:= match_spec of
                          true -> ok;
                          false ->
                              erlang:monotonic_time(millisecond) < Deadline orelse error(not_reapplied),
                              timer:sleep(50), Wait()
                      end
              end,
    WaitFor(),
    ?assertNotEqual(Instrumented, disk_md5(?ACC)),
    timer:sleep(200),
    drain(),
    Pid = account(s1, 0),
    {ok, 10} = d(Pid, 10),
    {ok, 5} = w(Pid, 5),
    Evs = events(collect(500)),
    ?assertMatch([#{hit := 15}], marked(calls({?ACC, handle_call, 3}, Evs))),
    ?assertMatch([#{hit := 16, body := #{line := 36}}], marked([E || #{kind := 'LINE'} = E <- Evs])),
    exit(Pid, kill).

%% Configure.line_probes records every line of Bank.Ledger; esc_trace:stop() removes every
%% breakpoint pattern and restores every module's original code.
stop_restores_everything() ->
    {ok, _} = esc_trace:configure(esc_bp_set:engine_config(
                                    (plan())#{sink => self(), tick_ms => 100,
                                              line_probes => [<<"Elixir.Bank.Ledger">>]})),
    everything_set(),
    check_set(),
    esc_trace:stop(),
    assert_restored().

%% The connection (owner) dies: the same, within a second or so.
connection_drop_restores_everything() ->
    Self = self(),
    Owner = spawn(fun() ->
                          {ok, _} = esc_trace:configure(esc_bp_set:engine_config(
                                                          (plan())#{sink => Self, tick_ms => 100,
                                                                    line_probes => [<<"Elixir.Bank.Ledger">>]})),
                          Self ! {ready, self()},
                          receive {do, F} -> Self ! {done, (catch F())} end,
                          receive stop -> ok end
                  end),
    receive {ready, Owner} -> ok after 10000 -> error(owner) end,
    Owner ! {do, fun everything_set/0},
    receive {done, R} -> ?assertEqual(ok, R) after 30000 -> error(timeout) end,
    check_set(),
    exit(Owner, kill),
    timer:sleep(1500),
    assert_restored().

everything_set() ->
    {ok, _} = gen_server:start({local, ?LEDGER}, ?LEDGER, [], []),
    [#{verified := true}, #{verified := true}] = set(acc(), [spec(17, 31, #{}), spec(18, 36, #{})]),
    [#{verified := true}] = set(<<>>, [fspec(19, <<":lists.reverse/1">>, #{condition => <<"false">>})]),
    ok.

check_set() ->
    ?assertNotEqual(disk_md5(?ACC), md5(?ACC)),
    ?assertNotEqual(disk_md5(?LEDGER), md5(?LEDGER)),
    ok = ?LEDGER:record(a, deposit, 1),
    _ = ?LEDGER:entries(),
    Evs = events(collect(500)),
    Lines = [L || #{kind := 'LINE', mfa := {?LEDGER, _, _}, body := #{line := L}} <- Evs],
    ?assert(lists:member(15, Lines)),
    ?assert(lists:member(16, Lines)),
    ?assertEqual([], marked(Evs)),
    ?assertMatch({traced, local}, esc_tsess:info({lists, reverse, 1}, traced)),
    ok.

assert_restored() ->
    ?assertEqual(undefined, whereis(esc_trace)),
    ?assertEqual(disk_md5(?ACC), md5(?ACC)),
    ?assertEqual(disk_md5(?LEDGER), md5(?LEDGER)),
    ?assertEqual([], esc_probe:instrumented()),
    ?assertEqual(false, code:is_loaded(esc_probe:stub_name(?LEDGER))),
    ?assertNot(lists:member(elixir_scope, esc_tsess:sessions())),
    ?assertEqual({traced, false}, erlang:trace_info({lists, reverse, 1}, traced)),
    [?assertEqual({traced, false}, erlang:trace_info({M, F, A}, traced))
     || M <- [?ACC, ?LEDGER], {F, A} <- M:module_info(functions)],
    ok.

%% A function breakpoint on a module that does not exist yet stays pending (unverified, with
%% the reason), and is applied as soon as the module is loaded.
pending_until_loaded() ->
    engine(plan()),
    M = esc_bps_late,
    code:purge(M), code:delete(M), code:purge(M),
    [S] = set(<<>>, [fspec(20, <<"esc_bps_late:f/1">>, #{condition => <<"X > 1">>})]),
    ?assertMatch(#{verified := false, message := <<"pending: module not loaded yet">>}, S),
    Forms = [{attribute, 1, module, M}, {attribute, 2, export, [{f, 1}]},
             {function, 3, f, 1, [{clause, 3, [{var, 3, 'X'}], [], [{var, 3, 'X'}]}]}],
    {ok, M, Bin} = compile:forms(Forms, [debug_info]),
    Dir = esc_bp_fixture:dir(),
    ok = file:write_file(filename:join(Dir, "esc_bps_late.beam"), Bin),
    {module, M} = code:load_abs(filename:join(Dir, "esc_bps_late")),
    Deadline = erlang:monotonic_time(millisecond) + 3000,
    Wait = fun W() ->
                   case esc_tsess:info({M, f, 1}, traced) of
                       {traced, local} -> ok;
                       _ -> erlang:monotonic_time(millisecond) < Deadline orelse error(still_pending),
                            timer:sleep(50), W()
                   end
           end,
    Wait(),
    ?assertMatch([#{id := 20, verified := true}], esc_bp_set:states()),
    1 = M:f(1),
    2 = M:f(2),
    Msgs = collect(400),
    %% the adapter is told, so the editor shows the breakpoint verified without a new setBreakpoints
    ?assertMatch([#{breakpoints := [#{id := 20, verified := true, module := <<"esc_bps_late">>}]}],
                 [C || #{msg := {breakpoints_changed, C}} <- Msgs]),
    Evs = events(Msgs),
    ?assertMatch([#{hit := 20, body := #{bindings := [#{name := <<"X">>}]}}], calls({M, f, 1}, Evs)),
    [] = set(<<>>, []),
    code:purge(M), code:delete(M), code:purge(M),
    file:delete(filename:join(Dir, "esc_bps_late.beam")).

%% A source breakpoint in a module that is compiled (its beam is in an ebin folder the adapter
%% names, not on the code path) but not loaded: resolved from the beam without loading it,
%% verified, and applied when the module loads.
resolved_from_ebin_before_load() ->
    engine(plan()),
    M = esc_bps_ebin,
    Dir = filename:join(esc_bp_fixture:dir(), "late_ebin"),
    Src = filename:join(Dir, "esc_bps_ebin.erl"),
    ok = filelib:ensure_dir(Src),
    ok = file:write_file(Src, "-module(esc_bps_ebin).\n-export([g/1]).\n\ng({a, N}) ->\n    N;\ng(N) ->\n    N + 1.\n"),
    {ok, M} = compile:file(Src, [debug_info, {outdir, Dir}]),
    code:purge(M), code:delete(M), code:purge(M),
    #{breakpoints := [S]} =
        esc_bp_set:set_breakpoints(#{file => list_to_binary(Src), ebin_dirs => [list_to_binary(Dir)],
                                  breakpoints => [spec(22, 6, #{condition => <<"N > 10">>})]}),
    ?assertMatch(#{verified := true, line := 6, module := <<"esc_bps_ebin">>}, S),
    ?assertEqual(false, erlang:module_loaded(M)),
    {module, M} = code:load_abs(filename:join(Dir, "esc_bps_ebin")),
    Deadline = erlang:monotonic_time(millisecond) + 3000,
    Wait = fun W() ->
                   case esc_tsess:info({M, g, 1}, traced) of
                       {traced, local} -> ok;
                       _ -> erlang:monotonic_time(millisecond) < Deadline orelse error(not_applied),
                            timer:sleep(50), W()
                   end
           end,
    Wait(),
    1 = M:g({a, 1}),
    6 = M:g(5),
    12 = M:g(11),
    Evs = events(collect(400)),
    ?assertMatch([#{hit := 22, body := #{clause := 2, bindings := [#{name := <<"N">>}]}}], calls({M, g, 1}, Evs)),
    [] = set(list_to_binary(Src), []),
    code:purge(M), code:delete(M), code:purge(M).

%% ------------------------------------------------------------------ breakpoint-only sessions

%% A captured term's value, whichever way it was captured.
tv(#{value := {etf, B}}) -> binary_to_term(B);
tv(V) -> val(V).

tbindings(#{body := #{bindings := Bs}}) -> maps:from_list([{N, tv(V)} || #{name := N, value := V} <- Bs]).

%% No meta pattern on MFA (OTP 25 says [] for a function that has other patterns).
no_meta(MFA) -> not is_pid(element(2, esc_tsess:info(MFA, meta))).

%% Processes carrying any trace flag of ours (in the engine's session on OTP >= 27).
flagged() ->
    [P || P <- processes(), case esc_tsess:info(P, flags) of {flags, [_ | _]} -> true; _ -> false end].

%% A breakpoint-only session (launch `trace: []`: no modules, apps, prefixes or line probes): no
%% process gets a trace flag, the breakpoint is a meta pattern, and a hit still arrives with its
%% clause, named bindings and — in a GenServer callback — the state it was called with, as a state
%% version just before the hit. Calls that miss produce nothing; stop removes the pattern.
breakpoint_only_head() ->
    engine(#{}),
    [#{verified := true}] = set(acc(), [spec(30, 31, #{condition => <<"state.balance < 100">>})]),
    MFA = {?ACC, handle_call, 3},
    ?assertEqual([], flagged()),
    ?assertEqual({traced, false}, esc_tsess:info(MFA, traced)),
    ?assertMatch({meta, P} when is_pid(P), esc_tsess:info(MFA, meta)),
    ?assertMatch({meta_match_spec, [_ | _]}, esc_tsess:info(MFA, meta_match_spec)),
    Pid = account(bo1, 300),
    In0 = maps:get(events_in, esc_trace:status()),
    [{ok, _} = d(Pid, 1) || _ <- lists:seq(1, 50)],   % another clause: not a single trace message
    {ok, 99} = w(Pid, 250),           % balance 350: no
    timer:sleep(200),
    ?assertEqual(In0, maps:get(events_in, esc_trace:status())),
    {ok, 39} = w(Pid, 60),            % balance 99: HIT
    {ok, 44} = d(Pid, 5),             % another clause: no
    Evs = events(collect(500)),
    ?assertMatch([#{hit := 30, hits := [30], body := #{clause := 2, line := 31}}], calls(MFA, Evs)),
    [Hit] = calls(MFA, Evs),
    ?assertMatch(#{<<"amount">> := 60, <<"balance">> := 99, <<"state">> := #{balance := 99, id := bo1}}, tbindings(Hit)),
    %% The GenServer state the callback was called with: a state version of that process, just
    %% before the hit; then the hit's return (a hit clause traces it: the frame closes).
    PidBin = list_to_binary(pid_to_list(Pid)),
    Mine = [E || #{pid := Pb} = E <- Evs, Pb =:= PidBin],
    ?assertMatch([#{kind := 'PROCESS'}, #{kind := 'STATE', body := #{callback := <<"initial">>, version := 1}},
                  #{kind := 'CALL'}, #{kind := 'RETURN', mfa := MFA}], Mine),
    [_, #{body := #{state := St}}, _, _] = Mine,
    ?assertMatch(#{balance := 99, id := bo1}, tv(St)),
    %% Nothing was upgraded: the hit process still has no trace flag.
    ?assertEqual([], flagged()),
    exit(Pid, kill),
    esc_trace:stop(),
    ?assertNot(is_pid(element(2, erlang:trace_info(MFA, meta)))),
    ?assertEqual({traced, false}, erlang:trace_info(MFA, traced)).

%% A body-line breakpoint in a breakpoint-only session: the probe stub's pattern is a meta pattern
%% too, and the LINE hit carries the locals; still no process flag.
breakpoint_only_body_line() ->
    engine(#{}),
    [#{verified := true}] = set(acc(), [spec(31, 36, #{condition => <<"new_balance < 90">>})]),
    ?assertEqual([], flagged()),
    Pid = account(bo2, 200),
    {ok, 150} = w(Pid, 50),
    {ok, 95} = w(Pid, 55),
    {ok, 85} = w(Pid, 10),
    Evs = events(collect(500)),
    ?assertMatch([#{hit := 31, mfa := {?ACC, handle_call, 3}, body := #{line := 36}}], [E || #{kind := 'LINE'} = E <- Evs]),
    [L] = [E || #{kind := 'LINE'} = E <- Evs],
    ?assertMatch(#{<<"new_balance">> := 85, <<"amount">> := 10}, tbindings(L)),
    ?assertEqual([], calls({?ACC, handle_call, 3}, Evs)),
    ?assertEqual([], flagged()),
    exit(Pid, kill).

%% Breakpoints placed before the engine runs become meta patterns when a breakpoint-only session
%% starts; a later plan that records the module turns them back into local patterns (the `call`
%% flag is then on), with one event per hit, never two.
breakpoint_only_then_plan() ->
    [#{verified := true}] = set(acc(), [spec(32, 31, #{condition => <<"amount == 7">>})]),
    MFA = {?ACC, handle_call, 3},
    engine(#{}),
    ?assertMatch({meta, P} when is_pid(P), esc_tsess:info(MFA, meta)),
    Pid = account(bo3, 100),
    {ok, 93} = w(Pid, 7),
    ?assertMatch([#{hit := 32}], calls(MFA, events(collect(400)))),
    engine(plan()),
    ?assert(no_meta(MFA)),
    ?assertEqual({traced, local}, esc_tsess:info(MFA, traced)),
    {ok, 86} = w(Pid, 7),
    {ok, 85} = w(Pid, 1),
    HC = calls(MFA, events(collect(400))),
    ?assertEqual(2, length(HC)),
    ?assertMatch([#{hit := 32}], marked(HC)),
    exit(Pid, kill).

ts_probe(X) -> X.

%% Meta trace messages carry erlang:now()-style timestamps whatever the flags; the encoder turns
%% them into the {monotonic ns, unique} form every other event has, so hits order right among them.
meta_timestamp_converted() ->
    MFA = {?MODULE, ts_probe, 1},
    Self = self(),
    %% the VM sends no trace message to the traced process itself: a forwarder is the tracer
    Fwd = spawn_link(fun F() -> receive M -> Self ! M, F() end end),
    _ = erlang:trace_pattern(MFA, true, [{meta, Fwd}]),
    Before = erlang:monotonic_time(nanosecond),
    1 = ?MODULE:ts_probe(1),
    After = erlang:monotonic_time(nanosecond),
    _ = erlang:trace_pattern(MFA, false, [meta]),
    Ts = receive {trace_ts, _, call, {?MODULE, ts_probe, [1]}, T} -> T after 1000 -> error(no_meta_message) end,
    unlink(Fwd),
    exit(Fwd, kill),
    ?assertMatch({_, _, _}, Ts),
    {Mono, Uniq} = esc_trace_batch:meta_ts(Ts),
    ?assert(is_integer(Uniq)),
    %% now() has microseconds: the converted time is at most 1 us before the call really happened
    ?assert(Mono >= Before - 1000),
    ?assert(Mono =< After),
    %% a strict_monotonic timestamp passes unchanged
    ?assertEqual({5, 7}, esc_trace_batch:meta_ts({5, 7})).

%% ------------------------------------------------------------------ the stack at a hit

hit_stack_test_() ->
    {timeout, 60, fun() ->
                          esc_bp_fixture:setup(),
                          cleanup(),
                          try hit_carries_untraced_stack() after cleanup() end
                  end}.

%% A hit's CALL carries the stack below the called function, taken by the VM at the call: its
%% caller (gen_server internals, never recorded) first; on OTP >= 26 the rest of it too. Calls that
%% do not stop carry none.
hit_carries_untraced_stack() ->
    engine(plan()),
    [#{verified := true}] = set(acc(), [spec(41, 31, #{condition => <<"amount == 7">>})]),
    Pid = account(st1, 100),
    {ok, 93} = w(Pid, 7),
    {ok, 92} = w(Pid, 1),
    HC = calls({?ACC, handle_call, 3}, events(collect(500))),
    [Hit] = marked(HC),
    #{body := #{stack := [First | _] = Stack}} = Hit,
    ?assertMatch(#{module := <<"gen_server">>, function := <<"try_handle_call">>, arity := 4}, First),
    case list_to_integer(erlang:system_info(otp_release)) >= 26 of
        true ->
            ?assert(length(Stack) >= 2),
            ?assert(lists:any(fun(#{module := M}) -> M =:= <<"proc_lib">> end, Stack)),
            ?assert(lists:any(fun(E) -> maps:get(line, E, 0) > 0 end, Stack));
        false ->
            ?assertEqual(1, length(Stack))
    end,
    [NotHit] = [E || #{hit := 0} = E <- HC],
    ?assertEqual([], maps:get(stack, maps:get(body, NotHit), [])),
    exit(Pid, kill).
