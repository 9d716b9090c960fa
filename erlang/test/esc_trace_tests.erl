%% EUnit tests of the recording engine against the real node: every event kind, GenServer state
%% history, late loading and reload, cleanup, each safety limit, and a 10 s trace storm.
%% The test process is the sink: it receives {esc_send, AgentMessageBytes} and decodes them with
%% esc_proto. Test modules are compiled from source into a temporary directory.
-module(esc_trace_tests).

-include_lib("eunit/include/eunit.hrl").

-export([storm_loop/2, hot/1, cold/1]).

%% ---------------------------------------------------------------- test modules

-define(ACCT, "
-module(tt_acct).
-behaviour(gen_server).
-export([start/1, start_link/1, deposit/2, boom/1, nudge/1, init/1, handle_call/3, handle_cast/2,
         handle_info/2, handle_continue/2, add/2, loop/1, fail/1]).
start(N) -> gen_server:start(?MODULE, N, []).
start_link(N) -> gen_server:start_link(?MODULE, N, []).
deposit(P, X) -> gen_server:call(P, {deposit, X}).
boom(P) -> gen_server:cast(P, boom).
nudge(P) -> P ! nudge, ok.
init(N) -> {ok, #{balance => N, ops => 0}, {continue, warm}}.
handle_continue(warm, S) -> {noreply, S#{warm => true}}.
handle_call({deposit, X}, _From, #{balance := B, ops := O} = S) ->
    {reply, ok, S#{balance := add(B, X), ops := O + 1}}.
handle_cast(boom, S) -> {noreply, S#{boomed => true}}.
handle_info(nudge, #{ops := O} = S) -> {noreply, S#{ops := O + 1}};
handle_info({huge, X}, S) -> {noreply, S#{huge => length(X)}}.
add(A, B) -> A + B.
loop(0) -> done;
loop(N) -> loop(N - 1).
fail(X) -> error({bad, X}).
").

-define(WORK, "
-module(tt_work).
-export([go/1, child/1, noisy/1, quiet/1, big/1]).
go(Parent) ->
    C = spawn_link(?MODULE, child, [self()]),
    C ! {hello, self()},
    receive {ack, C} -> ok end,
    unlink(C),
    Parent ! {done, self()},
    ok.
child(P) -> receive {hello, P} -> P ! {ack, self()} end, receive stop -> ok after 200 -> ok end.
noisy(X) -> X + 1.
quiet(X) -> X.
big(X) -> X.
").

-define(DOOR, "
-module(tt_door).
-behaviour(gen_statem).
-export([start/0, unlock/2, lock/1, knock/1, init/1, callback_mode/0, locked/3, open/3]).
start() -> gen_statem:start(?MODULE, 1234, []).
unlock(P, Code) -> gen_statem:call(P, {unlock, Code}).
lock(P) -> gen_statem:cast(P, lock).
knock(P) -> gen_statem:call(P, knock).
init(Code) -> {ok, locked, #{code => Code, knocks => 0}}.
callback_mode() -> state_functions.
locked({call, From}, {unlock, Code}, #{code := Code} = D) -> {next_state, open, D, [{reply, From, ok}]};
locked({call, From}, {unlock, _}, D) -> {keep_state_and_data, [{reply, From, wrong}]};
locked({call, From}, knock, #{knocks := K} = D) -> {keep_state, D#{knocks := K + 1}, [{reply, From, K + 1}]}.
open(cast, lock, D) -> {next_state, locked, D};
open({call, From}, knock, D) -> {keep_state_and_data, [{reply, From, open}]}.
").

-define(LAMP, "
-module(tt_lamp).
-behaviour(gen_statem).
-export([start/0, flip/1, init/1, callback_mode/0, handle_event/4]).
start() -> gen_statem:start(?MODULE, [], []).
flip(P) -> gen_statem:call(P, flip).
init([]) -> {ok, off, 0}.
callback_mode() -> [handle_event_function, state_enter].
handle_event(enter, _Old, _State, N) -> {keep_state, N};
handle_event({call, From}, flip, off, N) -> {next_state, on, N + 1, [{reply, From, on}]};
handle_event({call, From}, flip, on, N) -> {next_state, off, N, [{reply, From, off}]}.
").

later_src(V) ->
    "-module(tt_later_mod).\n-export([f/1]).\nf(X) -> {" ++ integer_to_list(V) ++ ", X}.\n".

compile_load(Src) ->
    esc_test_src:load(test_dir(), Src).

tmp_dir() ->
    case os:getenv("TMPDIR") of false -> "/tmp"; D -> D end.

%% One directory per OS process, so that concurrent test runs never load each other's modules.
test_dir() ->
    filename:join(tmp_dir(), "esc_trace_tests_" ++ os:getpid()).

%% ---------------------------------------------------------------- sink helpers

config(Extra) ->
    maps:merge(#{modules => [<<"tt_acct">>, <<"tt_work">>], sink => self()}, Extra).

%% Receives sink messages until Pred(AllSoFar) holds or Timeout ms pass; returns decoded messages.
collect(Pred, Timeout) ->
    Deadline = erlang:monotonic_time(millisecond) + Timeout,
    collect(Pred, Deadline, []).

collect(Pred, Deadline, Acc) ->
    case Pred(Acc) of
        true -> Acc;
        false ->
            Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
            receive
                {esc_send, Io} ->
                    M = esc_proto:decode_msg(iolist_to_binary(Io), 'AgentMessage'),
                    collect(Pred, Deadline, Acc ++ [M])
            after Left -> Acc
            end
    end.

drain() ->
    receive {esc_send, _} -> drain() after 0 -> ok end.

events(Msgs) ->
    lists:append([batch_events(B) || #{msg := {events, B}} <- Msgs]).

notices(Msgs) -> [N || #{msg := {notice, N}} <- Msgs].
codes(Msgs) -> [C || #{code := C} <- notices(Msgs)].
stats(Msgs) -> [S || #{msg := {stats, S}} <- Msgs].

batch_events(#{seq := Seq, kind := Kinds, pid := Pids, mfa := Mfas, body := Bodies, pids := PidT,
               mfas := MfaT, other := Other, mono := Mono, uniq := Uniq, msg_hash := Hash}) ->
    [#{seq => S, kind => K, pid => lists:nth(P + 1, PidT), mfa => mfa(lists:nth(M + 1, MfaT)),
       other => case O of 0 -> none; _ -> lists:nth(O, PidT) end, mono => Mo, uniq => U, hash => H,
       body => element(2, maps:get(kind, esc_proto:decode_msg(B, 'EventBody')))}
     || {S, K, P, M, B, O, Mo, U, H} <- zip9(Seq, Kinds, Pids, Mfas, Bodies, Other, Mono, Uniq, Hash)].

zip9([A | As], [B | Bs], [C | Cs], [D | Ds], [E | Es], [F | Fs], [G | Gs], [H | Hs], [I | Is]) ->
    [{A, B, C, D, E, F, G, H, I} | zip9(As, Bs, Cs, Ds, Es, Fs, Gs, Hs, Is)];
zip9(_, _, _, _, _, _, _, _, _) -> [].

mfa(#{module := <<>>}) -> none;
mfa(#{module := M, function := F, arity := A}) -> {binary_to_atom(M, utf8), binary_to_atom(F, utf8), A}.

pidstr(P) -> list_to_binary(pid_to_list(P)).

%% Decoded Term map -> approximate Erlang value (pids as {pid, Repr}) for assertions.
val(#{value := {atom, A}}) -> binary_to_atom(A, utf8);
val(#{value := {int, N}}) -> N;
val(#{value := {float, F}}) -> F;
val(#{value := {binary, #{data := D}}}) -> D;
val(#{value := {list, #{items := I}}}) -> [val(X) || X <- I];
val(#{value := {tuple, #{items := I}}}) -> list_to_tuple([val(X) || X <- I]);
val(#{value := {map, #{entries := E}}}) -> maps:from_list([{val(K), val(V)} || #{key := K, value := V} <- E]);
val(#{value := {pid, #{repr := R}}}) -> {pid, R};
val(#{value := {truncated, _}}) -> '...';
val(#{value := {etf, B}}) -> as_captured(binary_to_term(B));
val(#{value := Other}) -> Other.

%% A term sent whole, in the shape val/1 gives the level-by-level capture (pids as {pid, Text}).
as_captured(P) when is_pid(P) -> {pid, list_to_binary(pid_to_list(P))};
as_captured(L) when is_list(L) -> [as_captured(X) || X <- L];
as_captured(T) when is_tuple(T) -> list_to_tuple(as_captured(tuple_to_list(T)));
as_captured(M) when is_map(M) -> maps:from_list([{as_captured(K), as_captured(V)} || {K, V} <- maps:to_list(M)]);
as_captured(X) -> X.

of_kind(K, Evs) -> [E || #{kind := K2} = E <- Evs, K2 =:= K].

has(K, MFA, Evs) -> [E || #{kind := K2, mfa := M} = E <- Evs, K2 =:= K, M =:= MFA] =/= [].

%% Every trace setting of the engine is gone: no process (the test process included, which ran
%% traced code) is traced by the engine's tracer, `new` processes do not get it, and the test
%% modules' functions carry no pattern. (Other tools' settings in the node are left alone.)
assert_clean(Tracer) ->
    ?assertEqual(undefined, whereis(esc_trace)),
    %% OTP >= 27: the engine's trace session is destroyed (nothing of it can remain) ...
    ?assertNot(lists:member(elixir_scope, esc_tsess:sessions())),
    ?assertEqual(undefined, ets:info(esc_tsess)),
    %% ... and nothing leaked into the legacy (global) tracing either; before OTP 27 that is all.
    ?assertNotEqual({tracer, Tracer}, erlang:trace_info(new, tracer)),
    ?assertEqual({flags, []}, erlang:trace_info(self(), flags)),
    Traced = [{P, F} || P <- processes(), erlang:trace_info(P, tracer) =:= {tracer, Tracer},
                        {flags, F} <- [erlang:trace_info(P, flags)]],
    ?assertEqual([], Traced),
    Patterns = [{M, F, A} || M <- [tt_acct, tt_work], code:is_loaded(M) =/= false,
                             {F, A} <- M:module_info(functions),
                             erlang:trace_info({M, F, A}, traced) =/= {traced, false}],
    ?assertEqual([], Patterns).

setup() ->
    esc_trace:stop(),
    compile_load(?ACCT),
    compile_load(?WORK),
    compile_load(?DOOR),
    compile_load(?LAMP),
    drain(),
    ok.

cleanup(_) ->
    esc_trace:stop(),
    drain().

%% ---------------------------------------------------------------- tests

engine_test_() ->
    {foreach, fun setup/0, fun cleanup/1,
     [{timeout, 20, fun call_return_exception_and_state/0},
      {timeout, 20, fun gen_statem_state_history/0},
      {timeout, 20, fun messages_spawn_link_exit/0},
      {timeout, 20, fun running_genserver_gets_initial_state/0},
      {timeout, 20, fun tail_loops_are_call_only/0},
      {timeout, 20, fun late_load_and_reload/0},
      {timeout, 20, fun stop_removes_everything/0},
      {timeout, 20, fun owner_death_cleans_up_within_1s/0},
      {timeout, 20, fun agent_processes_are_bounded/0},
      {timeout, 30, fun rate_limit_samples_then_suspends/0},
      {timeout, 30, fun mailbox_guard_sheds_and_reports/0},
      {timeout, 30, fun mailbox_weight_guard/0},
      {timeout, 30, fun overload_sheds_only_the_excess/0},
      {timeout, 20, fun heap_limit_stops_recording_cleanly/0},
      {timeout, 60, fun huge_terms_are_captured_bounded/0},
      {timeout, 20, fun emergency_stop/0},
      {timeout, 20, fun foreign_tracer_is_reported/0},
      {timeout, 20, fun stats_every_second/0},
      {timeout, 20, fun reconfigure_replaces_plan/0},
      {timeout, 20, fun breakpoint_hooks/0}]
     %% Only where there are trace sessions: elsewhere the test is not run (not counted as passed).
     ++ [{timeout, 20, fun session_dies_with_the_agent/0} || esc_tsess:supported()]}.

call_return_exception_and_state() ->
    {ok, #{modules := Mods}} = esc_trace:configure(config(#{})),
    ?assert(lists:member(<<"tt_acct">>, Mods)),
    {ok, P} = tt_acct:start(100),
    ok = tt_acct:deposit(P, 5),
    ok = tt_acct:boom(P),
    ok = tt_acct:nudge(P),
    ?assertError({bad, 1}, tt_acct:fail(1)),
    Msgs = collect(fun(Ms) -> length(of_kind('STATE', events(Ms))) >= 5 andalso
                                  has('EXCEPTION', {tt_acct, fail, 1}, events(Ms)) end, 3000),
    Evs = events(Msgs),
    %% call with args, return with value
    [#{body := #{args := Args}} | _] = [E || #{kind := 'CALL', mfa := {tt_acct, add, 2}} = E <- Evs],
    ?assertEqual([100, 5], [val(A) || A <- Args]),
    [#{body := #{value := Ret}} | _] = [E || #{kind := 'RETURN', mfa := {tt_acct, add, 2}} = E <- Evs],
    ?assertEqual(105, val(Ret)),
    %% exception with class and reason
    [#{body := Ex}] = [E || #{kind := 'EXCEPTION', mfa := {tt_acct, fail, 1}} = E <- Evs],
    ?assertEqual(<<"error">>, maps:get(class, Ex)),
    ?assertEqual({bad, 1}, val(maps:get(reason, Ex))),
    %% state history across the server's life, each version with the message that produced it
    States = [B || #{kind := 'STATE', pid := Pid, body := B} <- Evs, Pid =:= pidstr(P)],
    ?assertEqual([1, 2, 3, 4, 5], [V || #{version := V} <- States]),
    ?assertEqual([<<"init">>, <<"handle_continue">>, <<"handle_call">>, <<"handle_cast">>, <<"handle_info">>],
                 [C || #{callback := C} <- States]),
    [_, Cont, Call, Cast, Info] = States,
    ?assertEqual(warm, val(maps:get(message, Cont))),
    ?assertEqual({deposit, 5}, val(maps:get(message, Call))),
    ?assertEqual(pidstr(self()), maps:get(from, Call)),
    ?assertMatch(#{balance := 105, ops := 1, warm := true}, val(maps:get(state, Call))),
    ?assertEqual(boom, val(maps:get(message, Cast))),
    ?assertMatch(#{ops := 2, boomed := true}, val(maps:get(state, Info))),
    %% a PROCESS event names the GenServer with its callback module before its first event
    [Proc | _] = [B || #{kind := 'PROCESS', pid := Pid, body := B} <- Evs, Pid =:= pidstr(P)],
    ?assertEqual(<<"tt_acct">>, maps:get(callback_module, Proc)),
    ?assertEqual(<<"gen_server">>, maps:get(behaviour, Proc)),
    %% ordering data: unique increasing seq, (mono, uniq) non-negative and strictly ordered
    Seqs = [S || #{seq := S} <- Evs],
    ?assertEqual(length(Seqs), length(lists:usort(Seqs))),
    ?assert(lists:all(fun(#{mono := M, uniq := U}) -> M >= 0 andalso U >= 0 andalso M < 1 bsl 53 end, Evs)),
    exit(P, kill).

%% gen_statem processes get a state history too: each version is {StateName, Data}, from init/1
%% and every state callback that changes state or data (keep_state_and_data changes nothing), with
%% the event that produced it; in both callback modes, state_enter calls included.
gen_statem_state_history() ->
    {ok, _} = esc_trace:configure(config(#{modules => [<<"tt_door">>, <<"tt_lamp">>]})),
    {ok, Door} = tt_door:start(),
    wrong = tt_door:unlock(Door, 1),
    1 = tt_door:knock(Door),
    ok = tt_door:unlock(Door, 1234),
    open = tt_door:knock(Door),
    ok = tt_door:lock(Door),
    {ok, Lamp} = tt_lamp:start(),
    on = tt_lamp:flip(Lamp),
    off = tt_lamp:flip(Lamp),
    Of = fun(P, Evs) -> [B || #{kind := 'STATE', pid := Pid, body := B} <- Evs, Pid =:= pidstr(P)] end,
    Msgs = collect(fun(Ms) -> length(Of(Door, events(Ms))) >= 4 andalso length(Of(Lamp, events(Ms))) >= 6 end, 3000),
    Evs = events(Msgs),
    DoorStates = Of(Door, Evs),
    ?assertEqual([1, 2, 3, 4], [V || #{version := V} <- DoorStates]),
    ?assertEqual([<<"init">>, <<"locked">>, <<"locked">>, <<"open">>], [C || #{callback := C} <- DoorStates]),
    ?assertEqual([{locked, #{code => 1234, knocks => 0}}, {locked, #{code => 1234, knocks => 1}},
                  {open, #{code => 1234, knocks => 1}}, {locked, #{code => 1234, knocks => 1}}],
                 [val(S) || #{state := S} <- DoorStates]),
    [_, Knock, Unlock, Lock] = DoorStates,
    ?assertEqual({call, knock}, val(maps:get(message, Knock))),
    ?assertEqual(pidstr(self()), maps:get(from, Knock)),
    ?assertEqual({call, {unlock, 1234}}, val(maps:get(message, Unlock))),
    ?assertEqual({cast, lock}, val(maps:get(message, Lock))),
    %% handle_event_function with state_enter: init, enter off, flip → on, enter on, flip → off, enter off
    LampStates = Of(Lamp, Evs),
    ?assertEqual([{off, 0}, {off, 0}, {on, 1}, {on, 1}, {off, 1}, {off, 1}], [val(S) || #{state := S} <- LampStates]),
    ?assertEqual([<<"init">> | lists:duplicate(5, <<"handle_event">>)], [C || #{callback := C} <- LampStates]),
    ?assertEqual({enter, off}, val(maps:get(message, lists:nth(4, LampStates)))),
    %% their PROCESS events say they are gen_statems (the debugger names their state so)
    [?assertMatch([#{callback_module := _, behaviour := <<"gen_statem">>} | _],
                  [B || #{kind := 'PROCESS', pid := Pid, body := B} <- Evs, Pid =:= pidstr(P)]) || P <- [Door, Lamp]],
    [exit(P, kill) || P <- [Door, Lamp]].

messages_spawn_link_exit() ->
    {ok, _} = esc_trace:configure(config(#{})),
    Self = self(),
    W = spawn(fun() -> receive go -> ok end, tt_work:go(Self), receive stop -> exit(finished) end end),
    W ! go,
    timer:sleep(100),                % the first traced call upgrades W; later traffic is recorded
    W2 = spawn(fun() -> tt_work:quiet(1), timer:sleep(100), tt_work:go(Self), exit(finished) end),
    receive {done, W2} -> ok after 2000 -> ?assert(false) end,
    Msgs = collect(fun(Ms) -> Es = events(Ms),
                              [x || #{kind := 'EXIT', pid := P} <- Es, P =:= pidstr(W2)] =/= [] andalso
                                  [x || #{kind := 'RECEIVE', pid := P, body := #{message := M}} <- Es,
                                        P =/= pidstr(W2), is_tuple(val(M)), element(1, val(M)) =:= hello] =/= []
                   end, 3000),
    Evs = [E || #{pid := P} = E <- events(Msgs), P =:= pidstr(W2)],
    Kinds = [K || #{kind := K} <- Evs],
    [?assert(lists:member(K, Kinds)) || K <- ['PROCESS', 'CALL', 'SPAWN', 'LINK', 'SEND', 'RECEIVE', 'UNLINK', 'EXIT']],
    [#{other := Child, body := Sp}] = of_kind('SPAWN', Evs),
    ?assertEqual(Child, maps:get(child, Sp)),
    ?assertEqual(#{module => <<"tt_work">>, function => <<"child">>, arity => 1}, maps:get(entry, Sp)),
    %% the send of {hello, W2} to the child and the child's receive pair up by msg_hash
    [#{hash := H, other := Child}] = [E || #{kind := 'SEND', body := #{message := M}} = E <- Evs,
                                            element(1, val(M)) =:= hello],
    ChildEvs = [E || #{pid := P} = E <- events(Msgs), P =:= Child],
    ?assert([x || #{kind := 'RECEIVE', hash := H2} <- ChildEvs, H2 =:= H] =/= []),
    [#{body := #{reason := R}}] = of_kind('EXIT', Evs),
    ?assertEqual(finished, val(R)),
    W ! stop.

running_genserver_gets_initial_state() ->
    {ok, P} = tt_acct:start(7),
    ok = tt_acct:deposit(P, 1),
    {ok, _} = esc_trace:configure(config(#{})),
    Msgs0 = collect(fun(Ms) -> of_kind('STATE', events(Ms)) =/= [] end, 2000),
    ok = tt_acct:deposit(P, 2),
    Msgs = Msgs0 ++ collect(fun(Ms) -> of_kind('STATE', events(Ms)) =/= [] end, 2000),
    States = [B || #{kind := 'STATE', pid := Pid, body := B} <- events(Msgs), Pid =:= pidstr(P)],
    ?assertMatch([#{version := 1, callback := <<"initial">>}, #{version := 2, callback := <<"handle_call">>}],
                 States),
    [First, Second] = States,
    ?assertMatch(#{balance := 8}, val(maps:get(state, First))),
    ?assertMatch(#{balance := 10}, val(maps:get(state, Second))),
    exit(P, kill).

tail_loops_are_call_only() ->
    {ok, _} = esc_trace:configure(config(#{})),
    done = tt_acct:loop(5000),
    Msgs = collect(fun(Ms) -> length([x || #{mfa := {tt_acct, loop, 1}} <- events(Ms)]) >= 5001 end, 3000),
    Loop = [K || #{mfa := {tt_acct, loop, 1}, kind := K} <- events(Msgs)],
    ?assertEqual(5001, length(Loop)),
    ?assertEqual(['CALL'], lists:usort(Loop)),
    ?assert(lists:member(2013, codes(Msgs))),
    %% the stack of a process looping 100000 times stays small (tail calls preserved)
    Self = self(),
    P = spawn(fun() -> tt_acct:loop(100000), Self ! {stack, erlang:process_info(self(), stack_size)} end),
    receive {stack, {stack_size, Sz}} -> ?assert(Sz < 100) after 5000 -> ?assert(false) end,
    exit(P, kill).

late_load_and_reload() ->
    code:purge(tt_later_mod), code:delete(tt_later_mod), code:purge(tt_later_mod),
    _ = file:delete(filename:join(test_dir(), "tt_later_mod.beam")),
    {ok, #{modules := Mods}} = esc_trace:configure(config(#{prefixes => [<<"tt_later">>], tick_ms => 100})),
    ?assertNot(lists:member(<<"tt_later_mod">>, Mods)),
    %% loaded after the plan: recorded once the poller sees it
    compile_load(later_src(1)),
    wait(fun() -> esc_tsess:info({tt_later_mod, f, 1}, traced) =:= {traced, local} end, 2000),
    {1, a} = tt_later_mod:f(a),
    Msgs = collect(fun(Ms) -> has('RETURN', {tt_later_mod, f, 1}, events(Ms)) andalso
                                  lists:member(2012, codes(Ms)) end, 2000),
    ?assert(has('CALL', {tt_later_mod, f, 1}, events(Msgs))),
    ?assert(lists:member(2012, codes(Msgs))),
    %% reloaded (new code has no patterns): re-applied
    %% (the new code starts without patterns; the poller may already have re-applied them here)
    compile_load(later_src(2)),
    wait(fun() -> esc_tsess:info({tt_later_mod, f, 1}, traced) =:= {traced, local} end, 2000),
    {2, b} = tt_later_mod:f(b),
    Msgs2 = collect(fun(Ms) -> lists:member(2011, codes(Msgs ++ Ms)) andalso
                                   [x || #{kind := 'RETURN', mfa := {tt_later_mod, f, 1}, body := #{value := V}}
                                             <- events(Ms), val(V) =:= {2, b}] =/= [] end, 2000),
    ?assert(lists:member(2011, codes(Msgs ++ Msgs2))),
    ?assert([x || #{kind := 'RETURN', mfa := {tt_later_mod, f, 1}, body := #{value := V}}
                      <- events(Msgs2), val(V) =:= {2, b}] =/= []),
    esc_trace:stop(),
    ?assertEqual({traced, false}, esc_tsess:info({tt_later_mod, f, 1}, traced)).

stop_removes_everything() ->
    {ok, _} = esc_trace:configure(config(#{})),
    {ok, P} = tt_acct:start(1),
    ok = tt_acct:deposit(P, 1),
    ?assertMatch({traced, local}, esc_tsess:info({tt_acct, add, 2}, traced)),
    #{tracer := Tracer, encoders := Encs} = esc_trace:status(),
    ok = esc_trace:stop(),
    assert_clean(Tracer),
    [?assertNot(is_process_alive(X)) || X <- [Tracer | Encs]],
    exit(P, kill).

owner_death_cleans_up_within_1s() ->
    Self = self(),
    Owner = spawn(fun() ->
                          {ok, _} = esc_trace:configure(config(#{sink => Self})),
                          Self ! configured,
                          receive die -> ok end
                  end),
    receive configured -> ok after 5000 -> ?assert(false) end,
    {ok, P} = tt_acct:start(1),
    ok = tt_acct:deposit(P, 1),
    #{tracer := Tracer, encoders := Encs, guard := Guard} = esc_trace:status(),
    T0 = erlang:monotonic_time(millisecond),
    exit(Owner, kill),
    wait(fun() -> whereis(esc_trace) =:= undefined andalso not is_process_alive(Guard) end, 1000),
    ?assert(erlang:monotonic_time(millisecond) - T0 =< 1000),
    assert_clean(Tracer),
    [?assertNot(is_process_alive(X)) || X <- [Tracer | Encs]],
    exit(P, kill).

agent_processes_are_bounded() ->
    {ok, _} = esc_trace:configure(config(#{safety => #{max_heap_words => 123456}})),
    #{tracer := Tracer, encoders := Encs, guard := Guard} = esc_trace:status(),
    Ctl = whereis(esc_trace),
    [begin
         ?assertEqual({message_queue_data, off_heap}, erlang:process_info(X, message_queue_data)),
         ?assertEqual({flags, []}, esc_tsess:info(X, flags))
     end || X <- [Tracer, Ctl, Guard | Encs]],
    %% the data-path processes take the configured bound; the controller keeps a floor for its plan
    %% the data-path processes have no VM heap limit (one huge term must not kill them); the
    %% controller bounds them over time (heap_watch)
    [?assertMatch({max_heap_size, #{size := 0}}, erlang:process_info(X, max_heap_size)) || X <- [Tracer | Encs]],
    ?assertMatch({max_heap_size, #{size := 4000000, kill := true}}, erlang:process_info(Ctl, max_heap_size)).

rate_limit_samples_then_suspends() ->
    {ok, _} = esc_trace:configure(config(#{safety => #{max_events_per_s => 2000}, tick_ms => 100,
                                           retry_ms => 600000})),
    Noisy = spawn_link(?MODULE, storm_loop, [fun ?MODULE:hot/1, infinity]),
    Msgs = collect(fun(Ms) -> lists:member(2004, codes(Ms)) end, 8000),
    Codes = codes(Msgs),
    ?assert(lists:member(2003, Codes)),           % sampled first
    ?assert(lists:member(2004, Codes)),           % then suspended
    ?assertEqual({traced, false}, esc_tsess:info({tt_work, noisy, 1}, traced)),
    %% other functions are still recorded in full while the noisy one is suspended
    drain(),
    3 = tt_work:quiet(3),
    Msgs2 = collect(fun(Ms) -> has('RETURN', {tt_work, quiet, 1}, events(Ms)) end, 2000),
    ?assert(has('RETURN', {tt_work, quiet, 1}, events(Msgs2))),
    #{degraded := Degr, mode := suspended} = esc_trace:status(),
    ?assertMatch(#{{tt_work, noisy, 1} := {suspended, _}}, Degr),
    unlink(Noisy), exit(Noisy, kill).

mailbox_guard_sheds_and_reports() ->
    %% A tiny mailbox limit and one slow encoder make the tracer shed under a storm.
    {ok, _} = esc_trace:configure(config(#{safety => #{max_mailbox => 200, max_events_per_s => 100000000},
                                           encoders => 1, max_encoder_queue => 1, tick_ms => 100})),
    Storms = [spawn_link(?MODULE, storm_loop, [fun ?MODULE:hot/1, infinity]) || _ <- [1, 2]],
    Msgs = collect(fun(Ms) -> lists:member(2006, codes(Ms)) andalso
                                  [x || #{dropped_total := D} <- stats(Ms), D > 0] =/= [] end, 8000),
    [begin unlink(S), exit(S, kill) end || S <- Storms],
    ?assert(lists:member(2006, codes(Msgs))),
    ?assert([x || #{dropped_total := D} <- stats(Msgs), D > 0] =/= []),
    %% the tracer recovers: its backlog drains once the storm is over
    #{tracer := Tracer} = esc_trace:status(),
    wait(fun() -> element(2, erlang:process_info(Tracer, message_queue_len)) < 200 end, 5000),
    %% and the loss travels with the next batches (EventBatch.dropped), recording goes on
    3 = tt_work:quiet(3),
    Msgs2 = collect(fun(Ms) -> has('RETURN', {tt_work, quiet, 1}, events(Ms)) end, 3000),
    ?assert(has('RETURN', {tt_work, quiet, 1}, events(Msgs2))),
    ?assert(lists:sum([D || #{msg := {events, #{dropped := D}}} <- Msgs ++ Msgs2]) > 0).

%% Few but heavy messages: the queue's weight (max_queue_bytes), not its length, triggers shedding.
%% The tracer is held for 100 ms so that a backlog of big messages builds up.
mailbox_weight_guard() ->
    {ok, _} = esc_trace:configure(config(#{safety => #{max_events_per_s => 100000000, max_mailbox => 10000000},
                                           max_queue_bytes => 1000000, tick_ms => 100})),
    #{tracer := Tracer} = esc_trace:status(),
    Big = lists:seq(1, 500),
    erlang:suspend_process(Tracer),
    Storm = spawn_link(?MODULE, storm_loop, [fun(_) -> tt_work:big(Big) end, infinity]),
    timer:sleep(100),
    erlang:resume_process(Tracer),
    Msgs = collect(fun(Ms) -> lists:member(2006, codes(Ms)) end, 8000),
    unlink(Storm), exit(Storm, kill),
    ?assert(lists:member(2006, codes(Msgs))),
    wait(fun() -> element(2, erlang:process_info(Tracer, message_queue_len)) < 200 end, 5000).

%% An agent process that stays over its heap bound (here a tiny one, under steady load) is killed by
%% the controller after 20 ticks (here 50 ms each), and recording stops cleanly.
heap_limit_stops_recording_cleanly() ->
    {ok, _} = esc_trace:configure(config(#{safety => #{max_heap_words => 3000},
                                           capture => #{items => 100000, depth => 100},
                                           encoders => 1, tick_ms => 50})),
    #{encoders := [Enc], tracer := Tracer} = esc_trace:status(),
    Big = lists:seq(1, 5000),
    Load = spawn_link(?MODULE, storm_loop, [fun(_) -> tt_work:big(Big), timer:sleep(1) end, infinity]),
    Msgs = collect(fun(Ms) -> lists:member(2008, codes(Ms)) end, 5000),
    unlink(Load), exit(Load, kill),
    ?assert(lists:member(2008, codes(Msgs))),
    wait(fun() -> whereis(esc_trace) =:= undefined andalso not is_process_alive(Enc) end, 1000),
    assert_clean(Tracer).

%% A GenServer whose state is a list of a million items, another with a map of a million entries,
%% and a call whose argument and return value are such a list: every event is recorded with the big
%% parts cut visibly (omitted counts), no agent process dies, and recording goes on.
huge_terms_are_captured_bounded() ->
    {ok, _} = esc_trace:configure(config(#{})),
    #{encoders := Encs, tracer := Tracer} = esc_trace:status(),
    BigList = lists:seq(1, 1000000),
    BigMap = maps:from_list([{I, I} || I <- lists:seq(1, 1000000)]),
    {ok, L} = tt_acct:start(BigList),
    {ok, M} = tt_acct:start(BigMap),
    [ok = tt_acct:nudge(X) || _ <- [1, 2, 3], X <- [L, M]],
    BigList = tt_work:big(BigList),
    Msgs = collect(fun(Ms) -> Evs = events(Ms),
                              length([x || #{kind := 'STATE', pid := Pid} <- Evs, Pid =:= pidstr(M)]) >= 5
                                  andalso has('RETURN', {tt_work, big, 1}, Evs) end, 30000),
    Evs = events(Msgs),
    ?assertEqual([], [C || C <- codes(Msgs), C =:= 2008]),
    [?assert(is_process_alive(X)) || X <- [Tracer, whereis(esc_trace) | Encs]],
    %% each state version: the million items are counted, not carried
    States = fun(P) -> [maps:get(state, B) || #{kind := 'STATE', pid := Pid, body := B} <- Evs, Pid =:= pidstr(P)] end,
    ?assert(length(States(L)) >= 5),
    [?assertMatch(#{value := {map, #{entries := [_ | _]}}}, S) || S <- States(L)],
    ?assert(lists:any(fun(S) -> omitted_somewhere(S) >= 999968 end, States(L))),
    ?assert(length(States(M)) >= 5),
    ?assert(lists:any(fun(S) -> omitted_somewhere(S) >= 999968 end, States(M))),
    [#{body := #{args := [Arg]}} | _] = [E || #{kind := 'CALL', mfa := {tt_work, big, 1}} = E <- Evs],
    ?assertMatch(#{value := {list, #{omitted := 999968}}}, Arg),
    [#{body := #{value := Ret}} | _] = [E || #{kind := 'RETURN', mfa := {tt_work, big, 1}} = E <- Evs],
    ?assertMatch(#{value := {list, #{omitted := 999968}}}, Ret),
    %% a huge message: its receive, and the callback's call and state version, recorded and cut
    drain(),
    L ! {huge, BigList},
    Msgs2 = collect(fun(Ms) -> [x || #{kind := 'STATE', pid := Pid} <- events(Ms), Pid =:= pidstr(L)] =/= [] end, 20000),
    Evs2 = events(Msgs2),
    [Rcv | _] = [B || #{kind := 'RECEIVE', pid := Pid, body := B} <- Evs2, Pid =:= pidstr(L)],
    ?assert(omitted_somewhere(maps:get(message, Rcv)) >= 999968),
    ?assertEqual([], [C || C <- codes(Msgs2), C =:= 2008]),
    [?assert(is_process_alive(X)) || X <- [Tracer, whereis(esc_trace) | Encs]],
    %% recording goes on, in full
    drain(),
    3 = tt_work:quiet(3),
    After = collect(fun(Ms) -> has('RETURN', {tt_work, quiet, 1}, events(Ms)) end, 3000),
    ?assert(has('RETURN', {tt_work, quiet, 1}, events(After))),
    [exit(X, kill) || X <- [L, M]].

omitted_somewhere(#{value := {map, #{entries := Es} = M}}) ->
    lists:max([maps:get(omitted, M, 0) | [omitted_somewhere(V) || #{value := V} <- Es]]);
omitted_somewhere(#{value := {tuple, #{items := Is} = T}}) ->
    lists:max([maps:get(omitted, T, 0) | [omitted_somewhere(I) || I <- Is]]);
omitted_somewhere(#{value := {_, #{omitted := N}}}) -> N;
omitted_somewhere(_) -> 0.

emergency_stop() ->
    {ok, _} = esc_trace:configure(config(#{})),
    {ok, P} = tt_acct:start(1),
    ok = tt_acct:deposit(P, 1),
    #{tracer := Tracer} = esc_trace:status(),
    ok = esc_trace:emergency_stop(),
    Msgs = collect(fun(Ms) -> lists:member(2009, codes(Ms)) end, 2000),
    ?assert(lists:member(2009, codes(Msgs))),
    wait(fun() -> whereis(esc_trace) =:= undefined end, 1000),
    assert_clean(Tracer),
    exit(P, kill).

foreign_tracer_is_reported() ->
    case esc_tsess:supported() of
        true -> foreign_tracer_coexists();
        false -> foreign_tracer_reported_legacy()
    end.

%% OTP >= 27: the engine records in its own trace session, so a process another tool traces (here
%% a legacy tracer with its own pattern on the same function, as :dbg sets them) is recorded too,
%% both tracers get the call, no warning is needed, and stopping leaves the other tool's flags and
%% pattern exactly as they were.
foreign_tracer_coexists() ->
    Self = self(),
    Foreign = spawn(fun F() -> receive stop -> ok; M -> Self ! {foreign_got, M}, F() end end),
    Victim = spawn(fun() -> receive go -> tt_work:quiet(7) end, receive stop -> ok end end),
    1 = erlang:trace(Victim, true, [call, {tracer, Foreign}]),
    1 = erlang:trace_pattern({tt_work, quiet, 1}, [{'_', [], [{return_trace}]}], [local]),
    try
        {ok, _} = esc_trace:configure(config(#{})),
        Victim ! go,
        receive {foreign_got, {trace, Victim, call, {tt_work, quiet, [7]}}} -> ok
        after 2000 -> error(foreign_tracer_got_nothing)
        end,
        Msgs = collect(fun(Ms) -> [x || #{kind := 'CALL', pid := P} <- events(Ms), P =:= pidstr(Victim)] =/= [] end, 3000),
        ?assertMatch([_ | _], [E || #{kind := 'CALL', mfa := {tt_work, quiet, 1}} = E <- events(Msgs)]),
        ?assertNot(lists:member(2002, codes(Msgs))),
        esc_trace:stop(),
        ?assertEqual({tracer, Foreign}, erlang:trace_info(Victim, tracer)),
        ?assertEqual({flags, [call]}, erlang:trace_info(Victim, flags)),
        ?assertEqual({match_spec, [{'_', [], [{return_trace}]}]}, erlang:trace_info({tt_work, quiet, 1}, match_spec))
    after
        erlang:trace(Victim, false, [all]),
        erlang:trace_pattern({tt_work, quiet, 1}, false, [local]),
        Victim ! stop, Foreign ! stop
    end.

%% OTP >= 27: if every agent process holding the session's handle is killed at once (nothing left
%% to run a cleanup), the VM destroys the session itself: no flag or pattern of ours survives.
session_dies_with_the_agent() ->
    {ok, _} = esc_trace:configure(config(#{})),
    {ok, P} = tt_acct:start(1),
    ok = tt_acct:deposit(P, 1),
    ?assertMatch({traced, local}, esc_tsess:info({tt_acct, add, 2}, traced)),
    ?assert(lists:member(elixir_scope, esc_tsess:sessions())),
    #{guard := Guard, tracer := Tracer} = esc_trace:status(),
    Ctl = whereis(esc_trace),
    exit(Guard, kill), exit(Ctl, kill),
    wait(fun() -> not lists:member(elixir_scope, esc_tsess:sessions()) end, 1000),
    ?assertEqual(legacy, esc_tsess:current()),
    assert_clean(Tracer),
    %% and a new engine right away gets a session of its own
    {ok, _} = esc_trace:configure(config(#{})),
    ?assertNotEqual(legacy, esc_tsess:current()),
    ?assertMatch({traced, local}, esc_tsess:info({tt_acct, add, 2}, traced)),
    #{tracer := Tracer2} = esc_trace:status(),
    ok = esc_trace:stop(),
    assert_clean(Tracer2),
    exit(P, kill).

%% OTP 25/26: one tracer per process; the engine leaves such processes alone and says so.
foreign_tracer_reported_legacy() ->
    Victim = spawn(fun() -> receive stop -> ok end end),
    Foreign = spawn(fun() -> receive stop -> ok end end),
    1 = erlang:trace(Victim, true, [send, {tracer, Foreign}]),
    try
        {ok, _} = esc_trace:configure(config(#{})),
        Msgs = collect(fun(Ms) -> lists:member(2002, codes(Ms)) end, 2000),
        [Notice] = [N || #{code := 2002} = N <- notices(Msgs)],
        ?assertEqual('WARNING', maps:get(severity, Notice)),
        ?assertNotEqual(nomatch, binary:match(maps:get(message, Notice), pidstr(Victim))),
        %% the foreign tracer keeps its process; ours did not take it over, and stop leaves it alone
        ?assertEqual({tracer, Foreign}, erlang:trace_info(Victim, tracer)),
        esc_trace:stop(),
        ?assertEqual({tracer, Foreign}, erlang:trace_info(Victim, tracer))
    after
        erlang:trace(Victim, false, [all]),
        Victim ! stop, Foreign ! stop
    end.

stats_every_second() ->
    {ok, _} = esc_trace:configure(config(#{})),
    _ = [tt_work:quiet(I) || I <- lists:seq(1, 100)],
    Msgs = collect(fun(Ms) -> length(stats(Ms)) >= 2 end, 3500),
    [S1, S2 | _] = stats(Msgs),
    ?assert(maps:get(events_total, S2) >= 200),
    ?assertEqual(<<"full">>, maps:get(mode, S1)),
    ?assert(maps:get(node_memory_bytes, S1) > 0),
    ?assert(maps:get(memory_bytes, S1) > 0).

reconfigure_replaces_plan() ->
    {ok, #{modules := M1}} = esc_trace:configure(config(#{})),
    ?assert(lists:member(<<"tt_acct">>, M1)),
    {ok, #{modules := M2}} = esc_trace:configure(config(#{modules => [<<"tt_work">>]})),
    ?assertEqual([<<"tt_work">>], M2),
    ?assertEqual({traced, false}, esc_tsess:info({tt_acct, add, 2}, traced)),
    ?assertEqual({traced, local}, esc_tsess:info({tt_work, quiet, 1}, traced)),
    {ok, #{modules := [], not_loaded := [<<"no_such_mod">>]}} =
        esc_trace:configure(config(#{modules => [<<"no_such_mod">>, <<"esc_trace">>]})),
    Msgs = collect(fun(Ms) -> length([x || 2001 <- codes(Ms)]) >= 2 end, 2000),
    ?assert(length([x || 2001 <- codes(Msgs)]) >= 2).

%% The hooks the breakpoint set (esc_bp_set) uses: on_patterns puts a tagging clause in front of the engine's own spec
%% (and runs again when the engine re-sets the module, e.g. after a reload); hit_fun turns a
%% tagged call into a CALL event with breakpoint ids, clause, line and bindings.
breakpoint_hooks() ->
    Self = self(),
    OnPatterns = fun(Mods, Base) ->
                         Self ! {hook, Mods},
                         case lists:member(tt_work, Mods) of
                             true ->
                                 MFA = {tt_work, quiet, 1},
                                 [{_, _, Actions} | _] = BaseMs = Base(MFA),
                                 Tagged = [{[7], [], [{message, {const, {esc_bp, [7]}}} | Actions]} | BaseMs],
                                 esc_tsess:function(MFA, Tagged, [local]);
                             false -> ok
                         end
                 end,
    HitFun = fun({trace_ts, _, call, {tt_work, quiet, [X]}, {esc_bp, Ids}, _}) ->
                     #{hits => Ids, clause => 1, line => 42, bindings => [{<<"x">>, X}]};
                (_) -> none
             end,
    {ok, _} = esc_trace:configure(config(#{on_patterns => OnPatterns, hit_fun => HitFun, tick_ms => 100})),
    receive {hook, Mods} -> ?assert(lists:member(tt_work, Mods)) after 2000 -> ?assert(false) end,
    ?assertEqual(esc_trace_plan:ms_full(), esc_trace:base_ms({tt_work, quiet, 1})),
    ?assertEqual([], esc_trace:base_ms({tt_work, module_info, 0})),
    ?assertEqual(esc_trace_plan:ms_call_only(), esc_trace:base_ms({tt_acct, loop, 1})),
    6 = tt_work:quiet(6),
    7 = tt_work:quiet(7),
    Msgs = collect(fun(Ms) -> length([x || #{kind := 'RETURN', mfa := {tt_work, quiet, 1}} <- events(Ms)]) >= 2 end,
                   2000),
    Calls = [E || #{kind := 'CALL', mfa := {tt_work, quiet, 1}} = E <- events(Msgs)],
    [#{body := Plain}] = [E || #{body := #{args := [A]}} = E <- Calls, val(A) =:= 6],
    ?assertMatch(#{clause := 0, bindings := []}, Plain),
    [#{body := Hit} = HitEv] = [E || #{body := #{args := [A]}} = E <- Calls, val(A) =:= 7],
    ?assertMatch(#{clause := 1, line := 42, bindings := [#{name := <<"x">>}]}, Hit),
    [#{msg := {events, Batch}} | _] = [M || #{msg := {events, #{seq := Seqs}}} = M <- Msgs,
                                             lists:member(maps:get(seq, HitEv), Seqs)],
    Ix = length(lists:takewhile(fun(Sq) -> Sq =/= maps:get(seq, HitEv) end, maps:get(seq, Batch))) + 1,
    ?assertEqual(7, lists:nth(Ix, maps:get(hit, Batch))),
    ?assertEqual([7], maps:get(hits, esc_proto:decode_msg(lists:nth(Ix, maps:get(body, Batch)), 'EventBody'))),
    %% a reload re-sets the engine's patterns, then the hook puts the breakpoint back
    compile_load(?WORK),
    receive {hook, [tt_work]} -> ok after 2000 -> ?assert(false) end,
    {match_spec, [{[7], _, _} | _]} = esc_tsess:info({tt_work, quiet, 1}, match_spec).

%% ---------------------------------------------------------------- storm

%% Four processes calling a traced function in a tight loop for 10 s: the node's memory stays within
%% 100 MB of where it was, the agent degrades and says so, nothing crashes, and once the storm is over
%% the function is recorded in full again and recording goes on.
storm_test_() ->
    {setup, fun setup/0, fun cleanup/1,
     {timeout, 60, fun storm/0}}.

storm() ->
    {ok, _} = esc_trace:configure(config(#{})),
    Mem0 = erlang:memory(total),
    Until = erlang:monotonic_time(millisecond) + 10000,
    [Storm | _] = [spawn(?MODULE, storm_loop, [fun ?MODULE:hot/1, Until]) || _ <- [1, 2, 3, 4]],
    Ref = erlang:monitor(process, Storm),
    #{tracer := Tracer, encoders := Encs} = esc_trace:status(),
    {Peak, Msgs} = storm_watch(Ref, Mem0, []),
    Codes = codes(Msgs),
    io:format(user, "~nstorm: node memory before ~.1f MB, peak ~.1f MB; notices ~w; ~s~n",
              [Mem0 / 1048576, Peak / 1048576, lists:usort(Codes), storm_summary(stats(Msgs))]),
    ?assert(Peak - Mem0 < 100 * 1048576),
    ?assert(lists:member(2003, Codes) orelse lists:member(2004, Codes)),
    [?assert(is_process_alive(X)) || X <- [Tracer, whereis(esc_trace) | Encs]],
    %% the storm is over: the stormy function is recorded in full again within about 2 s
    Ended = erlang:monotonic_time(millisecond),
    wait(fun() -> maps:get(mode, esc_trace:status()) =:= full end, 4000),
    io:format(user, "storm: full recording back ~b ms after the storm~n", [erlang:monotonic_time(millisecond) - Ended]),
    %% recording continues: a GenServer started now is fully recorded
    drain(),
    {ok, P} = tt_acct:start(3),
    ok = tt_acct:deposit(P, 4),
    After = collect(fun(Ms) -> length(of_kind('STATE', events(Ms))) >= 3 end, 3000),
    ?assert(length([x || #{kind := 'STATE', pid := Pid} <- events(After), Pid =:= pidstr(P)]) >= 3),
    exit(P, kill).

storm_watch(Ref, Peak, Acc) ->
    receive
        {'DOWN', Ref, process, _, _} -> {max(Peak, erlang:memory(total)), Acc};
        {esc_send, Io} ->
            M = esc_proto:decode_msg(iolist_to_binary(Io), 'AgentMessage'),
            %% keep notices and stats only, so the test's own heap does not distort the peak
            Keep = case M of #{msg := {events, _}} -> Acc; _ -> [M | Acc] end,
            storm_watch(Ref, max(Peak, erlang:memory(total)), Keep)
    after 50 ->
        storm_watch(Ref, max(Peak, erlang:memory(total)), Acc)
    end.

storm_summary(Stats) ->
    io_lib:format("max events/s ~b, dropped ~b, sampled ~b, max mailbox ~b, modes ~p",
                  [lists:max([0 | [E || #{events_per_s := E} <- Stats]]),
                   lists:max([0 | [D || #{dropped_total := D} <- Stats]]),
                   lists:max([0 | [D || #{sampled_total := D} <- Stats]]),
                   lists:max([0 | [D || #{mailbox_peak := D} <- Stats]]),
                   lists:usort([M || #{mode := M} <- Stats])]).

-spec storm_loop(fun((integer()) -> integer()), integer() | infinity) -> ok.
storm_loop(F, Until) ->
    storm_loop(F, Until, 0).

storm_loop(F, Until, N) ->
    F(N),
    case N band 1023 of
        0 when Until =/= infinity ->
            case erlang:monotonic_time(millisecond) >= Until of
                true -> ok;
                false -> storm_loop(F, Until, N + 1)
            end;
        _ -> storm_loop(F, Until, N + 1)
    end.

-spec hot(integer()) -> integer().
hot(N) -> tt_work:noisy(N).

-spec cold(integer()) -> integer().
cold(N) -> tt_work:quiet(N).

wait(Fun, Timeout) ->
    Deadline = erlang:monotonic_time(millisecond) + Timeout,
    wait_loop(Fun, Deadline).

wait_loop(Fun, Deadline) ->
    case Fun() of
        true -> ok;
        false ->
            case erlang:monotonic_time(millisecond) > Deadline of
                true -> ?assert(Fun());
                false -> timer:sleep(10), wait_loop(Fun, Deadline)
            end
    end.

%% ---------------------------------------------------------------- gaps

%% Lost events are marked where they are missing: per process, with counts that add up to the
%% engine's dropped total, and each gap lies between that process's recorded events.
gaps_test_() ->
    {foreach, fun setup/0, fun cleanup/1,
     [{timeout, 40, fun drops_are_gaps_per_process/0},
      {timeout, 30, fun sampling_is_reported_per_function_window/0}]}.

drops_are_gaps_per_process() ->
    %% One slow encoder with room for one batch and a tiny tracer mailbox: batches are dropped
    %% (encoder behind) and the tracer sheds (overload).
    {ok, _} = esc_trace:configure(config(#{safety => #{max_mailbox => 200, max_events_per_s => 100000000},
                                           encoders => 1, max_encoder_queue => 1, tick_ms => 100})),
    Storms = [spawn_link(?MODULE, storm_loop, [fun ?MODULE:hot/1, infinity]) || _ <- [1, 2]],
    W1 = gap_watch(erlang:monotonic_time(millisecond) + 1500, #{}),
    [begin unlink(S), exit(S, kill) end || S <- Storms],
    %% everything lost is reported once the tracer's timer hands the last gaps over
    #{tracer := Tracer} = esc_trace:status(),
    wait(fun() -> element(2, erlang:process_info(Tracer, message_queue_len)) < 10 end, 5000),
    #{dropped := Dropped} = esc_trace:status(),
    W = gap_watch_until(fun(Acc) -> gap_total(Acc) >= Dropped end,
                        erlang:monotonic_time(millisecond) + 5000, W1),
    Gaps = maps:get(gaps, W, []),
    ?assert(Dropped > 0),
    ?assertEqual(Dropped, gap_total(W)),
    StormPids = [pidstr(S) || S <- Storms],
    Mine = [G || #{pid := P} = G <- Gaps, lists:member(P, StormPids)],
    %% every storm process has its own gaps, with counts and a time span
    [?assert(lists:sum([N || #{pid := P2, count := N} <- Mine, P2 =:= P]) > 0) || P <- StormPids],
    [begin
         ?assert(N > 0),
         ?assert(From =< To),
         ?assert(lists:member(R, ['OVERLOAD', 'ENCODER_BEHIND', 'CONNECTION_BEHIND']))
     end || #{count := N, from_mono := From, to_mono := To, reason := R} <- Mine],
    %% a gap of a process holds none of its recorded events (they are before or after it)
    Evs = maps:get(evs, W, #{}),
    [?assertEqual([], [Mo || Mo <- maps:get(P, Evs, []), Mo >= From, Mo =< To])
     || #{pid := P, from_mono := From, to_mono := To} <- Mine].

sampling_is_reported_per_function_window() ->
    {ok, _} = esc_trace:configure(config(#{safety => #{max_events_per_s => 2000}, tick_ms => 100,
                                           retry_ms => 600000})),
    Noisy = spawn_link(?MODULE, storm_loop, [fun ?MODULE:hot/1, infinity]),
    Windows = fun(Acc) -> [G || #{mfa := #{function := <<"noisy">>}} = G <- maps:get(gaps, Acc, [])] end,
    W = gap_watch_until(fun(Acc) -> [x || #{reason := 'SUSPENDED'} <- Windows(Acc)] =/= [] end,
                        erlang:monotonic_time(millisecond) + 10000, #{}),
    unlink(Noisy), exit(Noisy, kill),
    Ws = Windows(W),
    %% sampled first (1 in 4, 16 or 64, with the calls it skipped), then suspended; never tied to a process
    Sampled = [G || #{reason := 'SAMPLED'} = G <- Ws],
    ?assertMatch([_ | _], Sampled),
    [?assert(lists:member(One, [4, 16, 64])) || #{one_in := One} <- Sampled],
    ?assert(lists:sum([N || #{count := N} <- Sampled]) > 0),
    [?assertEqual(<<>>, P) || #{pid := P} <- Ws],
    [?assert(F =< T) || #{from_mono := F, to_mono := T} <- Ws],
    ?assertMatch(#{module := <<"tt_work">>, arity := 1}, maps:get(mfa, hd(Ws))).

gap_total(Acc) ->
    lists:sum([N || #{count := N} = G <- maps:get(gaps, Acc, []), not is_map_key(mfa, G)]).

gap_watch(Until, Acc) ->
    gap_watch_until(fun(_) -> false end, Until, Acc).

%% Decodes sink messages until Pred(Acc) or Until: gaps, and per pid the monos of its events.
gap_watch_until(Pred, Until, Acc) ->
    case Pred(Acc) of
        true -> Acc;
        false ->
            Left = max(0, Until - erlang:monotonic_time(millisecond)),
            receive
                {esc_send, Io} ->
                    Acc2 = case esc_proto:decode_msg(iolist_to_binary(Io), 'AgentMessage') of
                               #{msg := {gaps, #{gaps := Gs}}} ->
                                   Acc#{gaps => maps:get(gaps, Acc, []) ++ [gap_defaults(G) || G <- Gs]};
                               #{msg := {events, #{pid := Ix, mono := Mono, pids := PidT}}} ->
                                   T = list_to_tuple(PidT),
                                   Evs = lists:foldl(fun({I, Mo}, E) ->
                                                             P = element(I + 1, T),
                                                             E#{P => [Mo | maps:get(P, E, [])]}
                                                     end, maps:get(evs, Acc, #{}), lists:zip(Ix, Mono)),
                                   Acc#{evs => Evs};
                               _ -> Acc
                           end,
                    gap_watch_until(Pred, Until, Acc2)
            after Left -> Acc
            end
    end.

gap_defaults(G) ->
    maps:merge(#{pid => <<>>, count => 0, reason => 'UNKNOWN', from_mono => 0, to_mono => 0, one_in => 0}, G).

%% ---------------------------------------------------------------- process identity

%% The encoder names a process from what travels with its events, also when it is gone before the
%% encoder sees it (as most ExUnit test processes are): raw trace messages of a dead pid go straight
%% through esc_trace_batch:handle/2 in a fresh process (its dictionary is the encoder's state).
ident_encode(Msgs, Extra) ->
    Me = self(),
    Ctx = maps:merge(#{sink => Me, limits => esc_trace_enc:limits(#{}), start_mono => 0, start_uniq => 0,
                       counters => atomics:new(8, [{signed, false}]), mfa_tab => ets:new(t, [public]),
                       cb_mods => #{tt_ident_cb => gen_server}, agent => #{}, upgrade => false}, Extra),
    {P, R} = spawn_monitor(fun() -> esc_trace_batch:handle(Msgs, Ctx) end),
    receive {'DOWN', R, process, P, Why} -> normal = Why end,
    events(collect(fun(_) -> false end, 200)).

dead_pid() ->
    {P, R} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', R, process, P, _} -> P end.

ident_ts() -> {erlang:monotonic_time(), erlang:unique_integer([monotonic])}.

processes_of(Pid, Evs) ->
    Bin = pidstr(Pid),
    [B || #{kind := 'PROCESS', pid := P, body := B} <- Evs, P =:= Bin].

ident_gen_spawn_of_dead_process_test() ->
    P = dead_pid(),
    Parent = self(),
    Spawn = {proc_lib, init_p, [Parent, [], gen, init_it,
                                [gen_server, Parent, Parent, {local, tt_ident_b}, tt_ident_cb, 1, []]]},
    Evs = ident_encode([{trace_ts, P, spawned, Parent, Spawn, ident_ts()},
                        {trace_ts, P, call, {tt_ident_cb, init, [1]}, ident_ts()}], #{}),
    [#{registered_name := <<"tt_ident_b">>, callback_module := <<"tt_ident_cb">>, behaviour := <<"gen_server">>}] =
        processes_of(P, Evs).

ident_exunit_probe_names_the_test_test() ->
    P = dead_pid(),
    Test = #{'__struct__' => 'Elixir.ExUnit.Test', module => 'Elixir.FooTest', name => 'test adds', tags => #{}},
    Evs = ident_encode([{trace_ts, P, call, {'Elixir.ExUnit.Runner', exec_test_setup, [Test, #{}]}, ident_ts()},
                        {trace_ts, P, call, {tt_ident_work, go, [1]}, ident_ts()}], #{ident_probes => true}),
    [#{kind := <<"test">>, entry := <<"Elixir.FooTest:test adds/1">>}] = processes_of(P, Evs),
    %% The probe itself is no event of the recording.
    [] = [E || #{mfa := {'Elixir.ExUnit.Runner', _, _}} = E <- Evs],
    [{tt_ident_work, go, 1}] = [M || #{kind := 'CALL', mfa := M} <- Evs].

ident_task_fun_and_late_registration_test() ->
    P = dead_pid(),
    Owner = self(),
    Ref = make_ref(),
    Fun = fun() -> ok end,
    {name, FunName} = erlang:fun_info(Fun, name),
    Evs = ident_encode([{trace_ts, P, spawned, Owner, {proc_lib, init_p, [Owner, [], 'Elixir.Task.Supervised', reply,
                                                                         [{node(), Owner, Owner}, nomonitor]]}, ident_ts()},
                        {trace_ts, P, 'receive', {Owner, Ref, Ref, [Owner], {erlang, apply, [Fun, []]}}, ident_ts()},
                        {trace_ts, P, call, {tt_ident_work, go, [1]}, ident_ts()},
                        {trace_ts, P, register, tt_ident_late, ident_ts()}], #{}),
    Entry = iolist_to_binary([atom_to_binary(?MODULE, utf8), $:, atom_to_binary(FunName, utf8), "/0"]),
    [#{kind := <<"task">>, entry := <<>>}, #{entry := Entry}, #{registered_name := <<"tt_ident_late">>}] =
        processes_of(P, Evs).

ident_spawned_after_first_event_and_callback_names_test() ->
    %% The parent sends `spawned`, the child its own events: they can arrive in either order.
    P = dead_pid(),
    Q = dead_pid(),
    Evs = ident_encode([{trace_ts, P, 'receive', hello, ident_ts()},
                        {trace_ts, P, spawned, self(), {erlang, apply, [fun lists:reverse/1, [[]]]}, ident_ts()},
                        {trace_ts, Q, 'receive', hello, ident_ts()},
                        {trace_ts, Q, call, {tt_ident_cb, handle_info, [hello, #{}]}, ident_ts()}], #{}),
    [#{entry := <<>>}, #{entry := <<"lists:reverse/1">>}] = processes_of(P, Evs),
    [#{callback_module := <<>>}, #{callback_module := <<"tt_ident_cb">>}] = processes_of(Q, Evs).

%% A process spawned with a fun whose module is not loaded is named, not a crash of the encoder.
ident_spawn_of_unloaded_fun_test() ->
    P = dead_pid(),
    Fun = esc_test_src:unloaded_fun(esc_ident_gone),
    Evs = ident_encode([{trace_ts, P, spawned, self(), {proc_lib, init_p, [self(), [], Fun]}, ident_ts()},
                        {trace_ts, P, call, {tt_ident_work, go, [1]}, ident_ts()}], #{}),
    ?assertMatch([#{entry := <<"esc_ident_gone:/0">>} | _], processes_of(P, Evs)).

%% ---------------------------------------------------------------- burst handling

%% A burst over the tracer's limit loses its excess, not the whole backlog: the queue is cut to three
%% quarters of the limit (it used to be emptied down to 1,000 messages).
overload_sheds_only_the_excess() ->
    {ok, _} = esc_trace:configure(config(#{safety => #{max_mailbox => 10000, max_events_per_s => 100000000},
                                           tick_ms => 100})),
    #{tracer := Tracer} = esc_trace:status(),
    erlang:suspend_process(Tracer),
    [tt_work:quiet(I) || I <- lists:seq(1, 7000)],             % 14,000 events
    erlang:resume_process(Tracer),
    Msgs = collect(fun(Ms) -> length(of_kind('RETURN', events(Ms))) >= 7000 end, 4000),
    Kept = length([x || #{kind := K} <- events(Msgs), K =:= 'CALL' orelse K =:= 'RETURN']),
    ?assert(Kept >= 7000, {kept, Kept}),
    ?assert(Kept < 14000, {kept, Kept}).

%% A function called again right after itself (a recursion step, a callback per element) has its
%% arguments captured with a small budget; its first call, and every other call, whole.
repeated_calls_are_captured_small_test() ->
    P = dead_pid(),
    Big = lists:seq(1, 3000),
    Evs = ident_encode([{trace_ts, P, call, {tt_rep, step, [Big, 0]}, ident_ts()},
                        {trace_ts, P, call, {tt_rep, step, [tl(Big), 1]}, ident_ts()},
                        {trace_ts, P, call, {tt_rep, other, [Big]}, ident_ts()}], #{}),
    [First, Second, Other] = [B || #{kind := 'CALL', body := B} <- Evs],
    Size = fun(#{args := [A | _]}) -> byte_size(iolist_to_binary(esc_proto:encode_msg(A, 'Term'))) end,
    ?assert(Size(First) > 5000),
    ?assert(Size(Second) < 2000),
    ?assert(Size(Other) > 5000).

%% Degrading is kept for a rate over the limit or an overload that lasts: one shedding tick (a burst)
%% does not sample anything, four in a row do.
overload_must_last_to_degrade_test() ->
    Counts = [{{m, f, 1}, 5000}],
    Tick = fun(N) -> #{overload => true, overload_ticks => N, calm_ticks => 0, now_ms => 0, retry_ms => 5000} end,
    ?assertEqual({#{}, []}, esc_trace_safety:decide(1000, 200000, Counts, #{}, Tick(1), #{})),
    ?assertMatch({#{{m, f, 1} := 2}, [{sample, {m, f, 1}, 2, _}]},
                 esc_trace_safety:decide(1000, 200000, Counts, #{}, Tick(4), #{})),
    %% a rate over the limit degrades at once, one step
    ?assertMatch({#{{m, f, 1} := 1}, [_]},
                 esc_trace_safety:decide(300000, 200000, Counts, #{}, Tick(0), #{})).

%% Once calm, every degraded function comes back in the same tick: straight to full when its own
%% rate is calm too, one step when it is still busy; a suspended one is retried (1 in 64) once ready.
calm_restores_every_function_at_once_test() ->
    Calm = fun(Now) -> #{overload => false, calm_ticks => 2, now_ms => Now, retry_ms => 1000} end,
    Degr = #{{m, quiet, 1} => 3, {m, busy, 1} => 2, {m, gone, 1} => {suspended, 0}},
    Counts = [{{m, quiet, 1}, 10}, {{m, busy, 1}, 10000}],
    {D1, Acts} = esc_trace_safety:decide(100, 200000, Counts, Degr, Calm(500), #{}),
    ?assertEqual(#{{m, busy, 1} => 1, {m, gone, 1} => {suspended, 0}}, D1),
    ?assertEqual(lists:sort([{restore, {m, quiet, 1}, full}, {restore, {m, busy, 1}, 1}]), lists:sort(Acts)),
    {D2, _} = esc_trace_safety:decide(100, 200000, [], D1, Calm(1500), #{}),
    ?assertEqual(#{{m, gone, 1} => 3}, D2),
    %% not calm for long enough yet: nothing moves
    ?assertEqual({Degr, []}, esc_trace_safety:decide(100, 200000, Counts, Degr, (Calm(500))#{calm_ticks := 1}, #{})).

%% The cut part of a long list is counted exactly (length/1), also past a million items.
long_list_counted_exactly_test() ->
    L = lists:seq(1, 1500000),
    ?assertMatch(#{value := {list, #{omitted := 1499968}}}, esc_term:capture(L, #{whole => false})),
    ?assertMatch(#{value := {list, #{omitted := 2}}}, esc_term:capture([1, 2, 3 | x], #{items => 1, whole => false})).

%% A GenServer started with an Elixir Registry via-name is named by its key, whichever way the name
%% was learnt (the spawn's arguments here, the registry while it lives), so restarts share one stream.
ident_registry_via_name_is_its_key_test() ->
    P = dead_pid(),
    Parent = self(),
    Via = {via, 'Elixir.Registry', {'Elixir.Bank.Registry', {account, b}}},
    Spawn = {proc_lib, init_p, [Parent, [], gen, init_it, [gen_server, Parent, Parent, Via, tt_ident_cb, 1, []]]},
    Evs = ident_encode([{trace_ts, P, spawned, Parent, Spawn, ident_ts()},
                        {trace_ts, P, call, {tt_ident_cb, init, [1]}, ident_ts()}], #{}),
    [#{via_name := Via1} | _] = processes_of(P, Evs),
    %% Elixir's inspect where Elixir runs, io_lib's form here
    ?assert(lists:member(Via1, [<<"{:account, :b}">>, <<"{account,b}">>]), Via1).
