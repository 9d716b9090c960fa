%% Benchmark of the recording engine, run by bench/agent.bench.ts (which parses the ROW lines).
%% Everything is measured in one run on this node, interleaved by round, and reported as medians:
%% - a hot gen_server:call on a small-map state, untraced (baseline);
%% - the VM's own cost of that tracing with no agent (match spec and flags as the engine sets them,
%%   into a process that only counts): the floor for the recording rows;
%% - the same with its callback module fully recorded by esc_trace (call/return, state, messages):
%%   flat out (the pipeline overloaded, loss counted) and in bursts it keeps up with (nothing lost);
%% - the same with only a never-matching match spec on handle_call/3 (a false condition), and a
%%   breakpoint-only session through the agent (empty plan, the breakpoint a meta pattern);
%% - recording throughput: raw trace messages encoded per second by one encoder process, and the
%%   whole pipeline (traced process -> tracer -> encoders -> sink) under a tight loop.
-module(esc_trace_bench).

-export([main/0, main/1]).

-define(BURST, 1000).

-define(SRV, "
-module(tb_srv).
-behaviour(gen_server).
-export([start/0, init/1, handle_call/3, handle_cast/2, bump/2]).
start() -> gen_server:start(?MODULE, #{count => 0, name => <<\"acct\">>, ops => []}, []).
init(S) -> {ok, S}.
handle_call({add, N}, _From, #{count := C} = S) -> {reply, C, S#{count := bump(C, N)}}.
handle_cast(_, S) -> {noreply, S}.
bump(C, N) -> C + N.
").

-define(WORK, "
-module(tb_work).
-export([f/2]).
f(Map, N) -> maps:get(a, Map) + N.
").

-spec main() -> no_return().
main() -> main([]).

-spec main(list()) -> no_return().
main(_Args) ->
    try run() of
        ok -> halt(0)
    catch
        C:R:St -> io:format("ERROR ~p:~p ~p~n", [C, R, St]), halt(1)
    end.

run() ->
    Dir = filename:join(case os:getenv("TMPDIR") of false -> "/tmp"; D -> D end, "esc_trace_bench_" ++ os:getpid()),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    tb_srv = esc_test_src:load(Dir, ?SRV),
    tb_work = esc_test_src:load(Dir, ?WORK),
    Calls = list_to_integer(os:getenv("AGENT_BENCH_CALLS", "200000")),
    Rounds = list_to_integer(os:getenv("AGENT_BENCH_ROUNDS", "3")),
    Sink = spawn(fun() -> sink(0, 0) end),
    Results = [round_once(Calls, Sink) || _ <- lists:seq(1, Rounds)],
    Base = median([element(1, R) || R <- Results]),
    Never = median([element(3, R) || R <- Results]),
    Recorded = fun(I, Name, What) ->
                       V = median([element(1, element(I, R)) || R <- Results]),
                       Lost = lists:sum([element(2, element(I, R)) || R <- Results]),
                       In = lists:sum([element(3, element(I, R)) || R <- Results]),
                       row(Name, V, "us/call", "untraced", Base,
                           io_lib:format("~s; ~b of ~b events lost (~.1f%, counted)",
                                         [What, Lost, In, 100 * Lost / max(1, In)]))
               end,
    row("GenServer.call, untraced", Base, "us/call", "", 0, "hot call, small map state"),
    row("GenServer.call, VM tracing alone (no agent)", median([element(6, R) || R <- Results]), "us/call",
        "untraced", Base, "the same call/return tracing into a process that only counts: the floor the "
        "recording rows cannot go below"),
    Recorded(2, "GenServer.call, callback module fully recorded",
             "every function call/return + state versions, calls flat out (more events than 2 encoders "
             "encode on 2 cores: the excess is dropped and counted); target <= 4x"),
    Recorded(4, "GenServer.call, fully recorded + messages", "also the server's send/receive/procs, flat out"),
    Recorded(5, "GenServer.call, fully recorded, nothing lost",
             io_lib:format("bursts of ~b calls, the pipeline encoding beside them and drained between "
                           "bursts (untimed): the cost when every event reaches the adapter", [?BURST])),
    row("GenServer.call, never-matching spec on handle_call/3", Never, "us/call", "untraced", Base,
        "as the engine sets it: local pattern, `call` flag on all processes; target <= 1.5x"),
    row("GenServer.call, never-matching spec as a meta pattern (reference)", median([element(7, R) || R <- Results]),
        "us/call", "untraced", Base, "no process trace flags, set directly (no agent): what breakpoint-only "
        "sessions use"),
    row("GenServer.call, breakpoint-only session through the agent, never-matching condition",
        median([element(8, R) || R <- Results]), "us/call", "untraced", Base,
        "launch `trace: []`: empty plan, no process trace flags, the breakpoint placed by esc_bp_ms as a "
        "meta pattern on handle_call/3"),
    {EncRate, BytesPerEv} = encoder_throughput(),
    row("encoder throughput (1 encoder process)", EncRate, "events/s", "", 0,
        io_lib:format("raw trace msgs -> EventBatch bytes; ~.1f bytes/event", [BytesPerEv])),
    {PipeRate, PipeDrop, Produced} = pipeline_throughput(Sink),
    row("pipeline throughput (tight loop, 2 encoders)", PipeRate, "events/s", "", 0,
        io_lib:format("traced process->tracer->encoders->sink; produced ~b/s, dropped ~b/s (counted)",
                      [Produced, PipeDrop])),
    ok.

round_once(Calls, Sink) ->
    {ok, P} = tb_srv:start(),
    Base = time_calls(P, Calls),
    %% Never-matching condition on handle_call/3 only, as the engine would set it.
    Tracer = spawn(fun() -> sink(0, 0) end),
    erlang:trace_pattern({tb_srv, handle_call, 3}, [{'_', [false], []}], [local]),
    erlang:trace(all, true, [call, {tracer, Tracer}]),
    Never = time_calls(P, Calls),
    erlang:trace(all, false, [all]),
    erlang:trace_pattern({tb_srv, '_', '_'}, false, [local]),
    %% For comparison, the same never-matching spec as a meta pattern: no process has a trace flag.
    erlang:trace_pattern({tb_srv, handle_call, 3}, [{'_', [false], []}], [{meta, Tracer}]),
    NeverMeta = time_calls(P, Calls),
    erlang:trace_pattern({tb_srv, handle_call, 3}, false, [meta]),
    exit(Tracer, kill),
    BpOnly = bp_only(P, Calls, Sink),
    %% The VM's own cost of the same recording, no agent: every function of the module traced with
    %% the engine's match spec and flags, into a process that only counts.
    Raw = vm_floor(P, Calls),
    %% Fully recorded by the engine; the rate limit is lifted so nothing is sampled.
    Full = flat_out(P, Calls, Sink, false),
    Msgs = flat_out(P, Calls, Sink, true),
    Burst = bursts(P, Calls, Sink),
    exit(P, kill),
    {Base, Full, Never, Msgs, Burst, Raw, NeverMeta, BpOnly}.

%% A breakpoint-only session through the agent: the engine with an empty plan, and a breakpoint on
%% handle_call/3 whose condition is false in the match spec, placed by esc_bp_ms in the controller as
%% for a breakpoint from the adapter (conditions are Elixir source there; the compiled form is
%% given here, as the bench runs without Elixir).
bp_only(P, Calls, Sink) ->
    {ok, _} = esc_trace:configure(#{sink => Sink}),
    MFA = {tb_srv, handle_call, 3},
    Bp = #{id => 1, kind => function, line => 0, file => <<>>, moved => false, message => <<>>, log => none,
           hit => none, entries => [#{mfa => MFA, clause => 0, condition => #{source => <<"false">>, ast => false, ms => false}}]},
    {esc_bps_result, ok} = gen_server:call(esc_trace, {esc_bps, fun(Base) -> esc_bp_ms:sync_patterns([], [Bp], Base) end}),
    {meta, M} = esc_tsess:info(MFA, meta),
    true = is_pid(M),
    [] = [X || X <- processes(), esc_tsess:info(X, flags) =/= {flags, []}, esc_tsess:info(X, flags) =/= undefined],
    T = time_calls(P, Calls),
    esc_trace:stop(),
    _ = erlang:trace_pattern(MFA, false, [meta]),
    T.

vm_floor(P, Calls) ->
    Counter = spawn(fun() -> count(0) end),
    erlang:trace_pattern({tb_srv, '_', '_'}, esc_trace_plan:ms_full(), [local]),
    erlang:trace(P, true, [call, strict_monotonic_timestamp, {tracer, Counter}]),
    T = time_calls(P, Calls),
    erlang:trace(P, false, [all]),
    erlang:trace_pattern({tb_srv, '_', '_'}, false, [local]),
    exit(Counter, kill),
    T.

%% The callback module recorded while calls run flat out: ~1M events/s, more than 2 encoders encode
%% on this 2-core machine, so part is dropped and counted (the rate limit, lifted here, would sample
%% instead). This is the overhead on the traced process's path. Returns {us/call, lost, events}.
flat_out(P, Calls, Sink, Messages) ->
    configure(P, Sink, Messages),
    #{events_in := In0, dropped := D0} = esc_trace:status(),
    T = time_calls(P, Calls),
    #{events_in := In1, dropped := D1} = esc_trace:status(),
    esc_trace:stop(),
    {T, D1 - D0, In1 - In0}.

%% Every event reaching the sink: calls in bursts of ?BURST (4 trace events each + a state version)
%% while the pipeline works beside them; between bursts the pipeline is drained (esc_trace:flush/1,
%% untimed). Only the bursts are timed.
bursts(P, Calls, Sink) ->
    configure(P, Sink, false),
    ok = esc_trace:flush(5000),
    #{events_in := In0, dropped := D0} = esc_trace:status(),
    N = max(1, Calls div ?BURST),
    Ns = lists:sum([burst(P) || _ <- lists:seq(1, N)]),
    #{events_in := In1, dropped := D1} = esc_trace:status(),
    esc_trace:stop(),
    {Ns / (N * ?BURST) / 1000, D1 - D0, In1 - In0}.

burst(P) ->
    T0 = erlang:monotonic_time(nanosecond),
    call_loop(P, ?BURST),
    T = erlang:monotonic_time(nanosecond) - T0,
    ok = esc_trace:flush(5000),
    T.

configure(P, Sink, Messages) ->
    {ok, _} = esc_trace:configure(#{modules => [<<"tb_srv">>], sink => Sink, upgrade => Messages,
                                    safety => #{max_events_per_s => 1000000000}}),
    _ = gen_server:call(P, {add, 0}),
    timer:sleep(50).

time_calls(P, N) ->
    _ = [gen_server:call(P, {add, 1}) || _ <- lists:seq(1, 1000)],
    T0 = erlang:monotonic_time(nanosecond),
    call_loop(P, N),
    (erlang:monotonic_time(nanosecond) - T0) / N / 1000.

call_loop(_P, 0) -> ok;
call_loop(P, N) -> _ = gen_server:call(P, {add, 1}), call_loop(P, N - 1).

%% One encoder's capacity: batches of 512 typical raw messages (call with a map and an integer,
%% return), encoded to EventBatch bytes and handed to a counting fun.
encoder_throughput() ->
    Cnt = atomics:new(8, [{signed, false}]),
    Bytes = counters:new(1, []),
    Ctx = #{sink => fun(B) -> counters:add(Bytes, 1, iolist_size(B)) end, limits => esc_trace_enc:limits(#{}),
            start_mono => erlang:monotonic_time(nanosecond), start_uniq => erlang:unique_integer([monotonic]),
            counters => Cnt, mfa_tab => ets:new(t, [public]), cb_mods => #{}, agent => #{}, upgrade => false},
    Pids = [spawn(fun() -> ok end) || _ <- lists:seq(1, 8)],
    Arg = #{a => 1, b => <<"some text">>, c => [1, 2, 3]},
    Batch = lists:append([[{trace_ts, lists:nth(1 + I rem 8, Pids), call, {tb_work, f, [Arg, I]}, ts()},
                           {trace_ts, lists:nth(1 + I rem 8, Pids), return_from, {tb_work, f, 2}, I + 1, ts()}]
                          || I <- lists:seq(1, 256)]),
    N = 400,
    T0 = erlang:monotonic_time(nanosecond),
    _ = [esc_trace_batch:handle(Batch, Ctx) || _ <- lists:seq(1, N)],
    Secs = (erlang:monotonic_time(nanosecond) - T0) / 1.0e9,
    Events = N * length(Batch),
    {round(Events / Secs), counters:get(Bytes, 1) / Events}.

ts() -> {erlang:monotonic_time(nanosecond), erlang:unique_integer([monotonic])}.

%% The whole pipeline for 3 s: one process calling a traced function in a tight loop.
pipeline_throughput(Sink) ->
    {ok, _} = esc_trace:configure(#{modules => [<<"tb_work">>], sink => Sink,
                                    safety => #{max_events_per_s => 1000000000}}),
    #{encoded := E0, events_in := I0, dropped := D0} = esc_trace:status(),
    Loop = spawn(fun() -> work(#{a => 1, b => <<"some text">>, c => [1, 2, 3]}, 0) end),
    timer:sleep(3000),
    exit(Loop, kill),
    #{encoded := E1, events_in := I1, dropped := D1} = esc_trace:status(),
    esc_trace:stop(),
    {round((E1 - E0) / 3), round((D1 - D0) / 3), round((I1 - I0) / 3)}.

work(M, N) -> tb_work:f(M, N), work(M, N + 1).

sink(N, B) ->
    receive
        {esc_send, Io} -> sink(N + 1, B + iolist_size(Io));
        {get, From} -> From ! {sink, N, B}, sink(N, B)
    end.

%% Takes every message off the queue and counts it (a tracer that does nothing else).
count(N) ->
    receive
        _ -> count(N + 1)
    end.

median(L) -> lists:nth((length(L) + 1) div 2, lists:sort(L)).

row(Name, Value, Unit, BaseName, Base, Note) ->
    io:format("ROW ~ts|~p|~ts|~ts|~p|~ts~n", [Name, Value, Unit, BaseName, Base, Note]).
