%% ElixirScope's recording engine: records what the project's code does, inside the user's node,
%% with the BEAM's own tracing, without pausing anything and without putting the node at risk.
%%
%% Why this design is safe (in the spirit of recon_trace):
%% - Filtering happens inside the VM: only modules of the plan carry trace patterns (never OTP,
%%   Elixir or the agent unless named; never esc_*, erlang, erts_*, prim_*), so untraced code
%%   pays nothing. Processes get the `call` flag; send/receive/procs flags are added only to
%%   processes seen running project code.
%% - The traced process only builds the trace message. One tracer process just conses messages
%%   into batches (no formatting, no capture); encoder processes capture bounded terms (depth,
%%   items, binary bytes, node budget) and encode protobuf; the sink writes to the socket.
%% - Every queue is bounded and every loss is counted: the tracer sheds above max_mailbox, a batch
%%   for a backed-up encoder or sink is dropped, EventBatch.dropped and Stats report it all.
%% - A rate limit degrades the noisiest functions step by step (1 in 4, 16, 64 sampled inside the
%%   VM through the trace control word, then suspended) and says so; calm periods restore them.
%% - On OTP >= 27 every flag and pattern lives in the agent's own trace session (esc_tsess): other
%%   tools (:dbg, recon) keep tracing the same processes and functions undisturbed, destroying the
%%   session removes all of ours at once, and if every agent process is killed the VM destroys it.
%%   On OTP 25/26 the global tracing BIFs are used and processes another tracer holds are reported.
%% - Agent processes are never traced and have off-heap message queues. Their heaps are bounded:
%%   a huge traced term (a GenServer state of a million items) has its big parts captured by the
%%   tracer as soon as it arrives (esc_trace_prune), so it never kills an agent process; one that
%%   stays over max_heap_words for five seconds is killed (not the node). If one dies, recording
%%   stops and everything is removed.
%% - The owner (the connection) is monitored: when it goes, the controller removes every flag and
%%   pattern and exits; a separate guard process re-does the cleanup if the controller cannot,
%%   so nothing is left behind within a second. emergency_stop/0 does the same, immediately.
%% - Tail-recursive loops (tail-call cycles in the BEAM code) are traced call-only, because a
%%   return_trace frame would defeat tail-call optimisation and grow the process's stack.
%% - GenServer state versions come from the return values of init/1 and handle_* (exception_trace
%%   on those callbacks); gen_statem versions ({StateName, Data}) from init/1 and the state
%%   callbacks (state functions or handle_event/4, state_enter calls included); processes already
%%   running get their current state once, read with sys:get_state/2 (200 ms timeout) from a
%%   throw-away process.
%%
%% Example session (Erlang shell, no adapter: a pid sink receives {esc_send, AgentMessageBytes}):
%%   1> {ok, Info} = esc_trace:configure(#{prefixes => [<<"Elixir.Bank.">>], sink => self()}).
%%   {ok,#{modules => [<<"Elixir.Bank.Account">>, ...], not_loaded => []}}
%%   2> 'Elixir.Bank.Account':deposit(b, 10).
%%   3> receive {esc_send, Bin} -> esc_proto:decode_msg(Bin, 'AgentMessage') end.
%%   #{msg => {events, #{kind => ['PROCESS', 'CALL', ...], ...}}}
%%   4> esc_trace:stop().
%%   ok
%%
%% Config (the decoded Configure message plus engine options; all optional):
%%   modules, apps, prefixes   binaries (or atoms): what to record (see esc_trace_plan)
%%   capture => #{depth, items, binary_bytes}          0/missing = esc_term's defaults (8, 32, 256)
%%   safety  => #{max_events_per_s (200000), max_mailbox (50000), max_heap_words (4000000)}
%%   sink => pid() | atom() | fun((binary()) -> _)      default esc_conn; a pid gets {esc_send, Bin}
%%   encoders (2), batch_size (512), max_encoder_queue (64 batches), max_sink_queue (256),
%%   max_queue_bytes (64 MiB: the tracer's queue by weight, not only by length),
%%   tick_ms (250), retry_ms (1000: suspended functions retried), upgrade (true: add
%%   send/receive/procs flags to processes running project code)
%% Breakpoint hooks (esc_bp_set:engine_config/1 adds them), all optional:
%%   hit_fun => fun((TaggedCallMsg) -> none | skip | #{hits := [Id], logs => [{Id, Text}], clause,
%%                                                     line, bindings := [{Name, Value}]})
%%       runs in the encoder for calls tagged by a breakpoint match spec; fills EventBatch.hit
%%       (first id), EventBody.hits and CallEvent clause/line/bindings; `logs` become
%%       AgentMessage.log_output (sent after the batch, seq = the event's); `skip` drops the event
%%       (no breakpoint passed and the function is not recorded otherwise);
%%   exc_filter => fun((raised | crashes) -> boolean()): EXCEPTION events (the first traced frame an
%%       exception leaves) get hit 0xFFFFFF01, abnormal EXIT events of processes that ran traced
%%       code get hit 0xFFFFFF02;
%%   on_patterns => fun((Modules, BaseFun) -> _) runs in the controller right after the engine
%%       (re)set the patterns of Modules (plan, late load, reload, degradation); BaseFun(MFA) is the
%%       engine's own spec, e.g. fun(Mods, Base) -> esc_bp_ms:sync_patterns([], Prepared, Base) end;
%%   on_tick => fun((BaseFun) -> _) runs in the controller every tick (pending breakpoints,
%%       reloads outside the plan).
%% gen_server:call(esc_trace, {esc_bps, Fun}) runs Fun(BaseFun) in the controller (esc_bps
%% changes patterns there, serialized with the engine's own changes).
%% Calls on line-probe stub modules ('esc_probe@<Module>') are recorded as LINE events (MFA = the
%% instrumented function; LineEvent line, file, bindings). Cleanup also removes every breakpoint
%% pattern (esc_bp_set:cleanup/0) and restores every probed module (esc_probe:restore_all/0).
%%
%% Notice codes sent through the sink (AgentMessage.notice), 2000–2099:
%%   2000  configure failed (reported by esc_conn in the Reply)
%%   2001  requested modules refused (agent/runtime core) or not loaded yet (recorded once loaded)
%%   2002  processes already traced by another tracer (e.g. :dbg): not recorded (OTP < 27)
%%   2003  rate limit: a function is now sampled (1 in 4/16/64 calls)
%%   2004  rate limit: a function's recording is suspended (retried after retry_ms)
%%   2005  rate back under the limit: a function is recorded fully/less sampled again
%%   2006  tracer mailbox over max_mailbox: events dropped, noisiest functions degraded
%%   2007  sink (connection) not keeping up: batches dropped
%%   2008  an agent process died (e.g. over its heap bound for 5 s): recording stopped and removed
%%   2009  emergency stop: recording removed
%%   2011  modules reloaded: patterns re-applied
%%   2012  newly loaded modules matching the plan: now recorded
%%   2013  tail-recursive loop functions recorded call-only (no return values)
-module(esc_trace).

-export([start/1, configure/1, stop/0, emergency_stop/0, status/0, base_ms/1, flush/1]).

%% Starts the engine (the caller becomes its owner) or replaces the plan of the running one.
-spec start(map()) -> {ok, #{modules := [binary()], not_loaded := [binary()]}} | {error, term()}.
start(Config) ->
    configure(Config).

%% Applies a plan; re-sending replaces the previous plan (degradation is reset).
-spec configure(map()) -> {ok, #{modules := [binary()], not_loaded := [binary()]}} | {error, term()}.
configure(Config) when is_map(Config) ->
    try esc_trace_ctl:start(self(), Config)
    catch
        exit:Reason -> {error, Reason}
    end;
configure(_) ->
    {error, badarg}.

%% Removes every trace flag, pattern and probe the engine set, and stops its processes.
-spec stop() -> ok.
stop() ->
    case whereis(esc_trace) of
        undefined -> ok;
        Pid ->
            Ref = erlang:monitor(process, Pid),
            try gen_server:call(Pid, stop, 5000) catch exit:_ -> ok end,
            receive {'DOWN', Ref, process, Pid, _} -> ok
            after 1000 -> exit(Pid, kill), ok
            end
    end.

%% Immediately kills the engine and removes its trace settings, without waiting for the controller.
-spec emergency_stop() -> ok.
emergency_stop() ->
    case whereis(esc_trace_guard) of
        undefined ->
            case whereis(esc_trace) of
                undefined -> ok;
                Pid -> exit(Pid, kill), ok
            end;
        Guard ->
            Ref = erlang:monitor(process, Guard),
            Guard ! {esc_emergency_stop, self()},
            receive
                {esc_emergency_stopped, Guard} -> ok;
                {'DOWN', Ref, process, Guard, _} -> ok
            after 2000 -> ok
            end,
            erlang:demonitor(Ref, [flush]),
            ok
    end.

%% The match spec the engine gives MFA ([] = not recorded), for esc_bp_ms:sync_patterns/3 when the
%% breakpoint set changes. (Inside the on_patterns hook use the BaseFun it is given instead.)
-spec base_ms(mfa()) -> list().
base_ms(MFA) ->
    try gen_server:call(esc_trace, {base_ms, MFA}, 5000)
    catch exit:_ -> []
    end.

%% Engine status (mode, modules, degraded functions, counters, processes); `stopped` if not running.
%% Delivers everything traced so far to the sink within Timeout ms: waits until the VM has delivered
%% every trace message, makes the tracer hand over its buffer, and waits until each encoder has
%% encoded what came before. Used at program exit so the recording the session keeps is complete.
-spec flush(non_neg_integer()) -> ok | timeout.
flush(Timeout) ->
    Deadline = erlang:monotonic_time(millisecond) + Timeout,
    Left = fun() -> max(0, Deadline - erlang:monotonic_time(millisecond)) end,
    case status() of
        #{tracer := Tracer} when is_pid(Tracer) ->
            Delivered = esc_tsess:delivered(all),
            receive {trace_delivered, all, Delivered} -> ok after Left() -> ok end,
            Ref = make_ref(),
            Tracer ! {esc_flush_sync, self(), Ref},
            receive
                {Ref, encoders, N} -> await_synced(Ref, N, Left)
            after Left() -> timeout
            end;
        _ -> ok
    end.

await_synced(_Ref, 0, _Left) -> ok;
await_synced(Ref, N, Left) ->
    receive {Ref, synced} -> await_synced(Ref, N - 1, Left)
    after Left() -> timeout
    end.

-spec status() -> map() | stopped.
status() ->
    try gen_server:call(esc_trace, status, 5000)
    catch exit:_ -> stopped
    end.
