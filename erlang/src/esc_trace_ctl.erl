%% The recording engine's controller (registered as esc_trace): owns the plan, the tracer, the
%% encoders and the safety loop; started by esc_trace:configure/1. See esc_trace for the design.
%%
%% Every tick (250 ms) it measures the event rate and applies esc_trace_safety's decisions, polls
%% for newly loaded and reloaded modules, and sends Stats once a second. While any function is
%% sampled it also flips the trace control word's sampling bits every 10 ms.
-module(esc_trace_ctl).
-behaviour(gen_server).

-export([start/2]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

-include("esc_trace.hrl").

-define(TCW_TICK_MS, 10).
-define(TCW_BITS, 7).
-define(NOTICE_GAP_MS, 5000).

%% Consecutive ticks a data-path process may stay over its heap bound (heap_watch/1).
-define(HEAVY_TICKS, 20).

-record(s, {owner :: pid(), ctx :: map(), cfg :: map(), safety :: map(),
            mods = #{} :: #{module() => esc_trace_plan:mod_info()},
            matcher :: term(), loaded = #{} :: map(),
            tracer :: pid(), tsess :: esc_tsess:handle(), encs = [] :: [pid()], guard :: pid(),
            degr = #{} :: esc_trace_safety:degr(), tcw0 = 0 :: non_neg_integer(), tcw_k = 0 :: non_neg_integer(),
            tcw_on = false :: boolean(), tick = 0 :: non_neg_integer(), tick_ms :: pos_integer(),
            last_in = 0 :: non_neg_integer(), stats_in = 0 :: non_neg_integer(),
            stats_at :: integer(), calm = 0 :: non_neg_integer(), sampled = 0 :: non_neg_integer(),
            flags_set = false :: boolean(),
            overload_ticks = 0 :: non_neg_integer(),   % consecutive ticks the tracer had to shed
            mode = full :: full | sampling | suspended | stopped,
            windows = esc_trace_windows:new() :: esc_trace_windows:windows(),
            heavy = #{} :: #{pid() => pos_integer()}}).

%% Starts the controller for Owner (the connection) and applies Config.
-spec start(pid(), map()) -> {ok, map()} | {error, term()}.
start(Owner, Config) ->
    case gen_server:start({local, esc_trace}, ?MODULE, {Owner, Config},
                          [{spawn_opt, [{message_queue_data, off_heap}]}]) of
        {ok, _Pid} -> gen_server:call(esc_trace, info, 30000);
        {error, {already_started, _}} -> gen_server:call(esc_trace, {configure, Config}, 30000);
        {error, _} = E -> E
    end.

%% ---------------------------------------------------------------- gen_server

-spec init({pid(), map()}) -> {ok, #s{}}.
init({Owner, Config}) ->
    ok = esc_tsess:untrace_self(),
    process_flag(trap_exit, true),
    Safety = safety(Config),
    %% The controller holds the plan: its own bound does not shrink with max_heap_words.
    process_flag(max_heap_size, #{size => max(maps:get(max_heap_words, Safety), 4000000), kill => true,
                                  error_logger => true}),
    erlang:monitor(process, Owner),
    Cnt = atomics:new(?C_SIZE, [{signed, false}]),
    Tab = ets:new(esc_trace_mfa, [public, set, {write_concurrency, true}]),
    ok = esc_hits:new(),                   % recent hits' exact bindings: dropped with this process
    Heap = maps:get(max_heap_words, Safety),
    Ctx0 = #{sink => maps:get(sink, Config, esc_conn), limits => limits(Config),
             start_mono => erlang:monotonic_time(nanosecond), start_uniq => erlang:unique_integer([monotonic]),
             counters => Cnt, mfa_tab => Tab, cb_mods => #{}, agent => #{}, upgrade => maps:get(upgrade, Config, true),
             max_sink_queue => maps:get(max_sink_queue, Config, 256), max_mailbox => maps:get(max_mailbox, Safety),
             heap => Heap},
    NEnc = maps:get(encoders, Config, 2),
    Encs = [esc_trace_batch:start_link(Ctx0) || _ <- lists:seq(1, NEnc)],
    Tracer = esc_trace_tracer:start_link(#{encoders => Encs, batch => maps:get(batch_size, Config, 512),
                                           max_mailbox => maps:get(max_mailbox, Safety),
                                           max_encoder_queue => maps:get(max_encoder_queue, Config, 64),
                                           max_queue_bytes => maps:get(max_queue_bytes, Config, 64 * 1024 * 1024),
                                           counters => Cnt, mfa_tab => Tab, heap => Heap,
                                           limits => limits(Config)}),
    Tcw0 = erlang:system_info(trace_control_word),
    %% OTP >= 27: our own trace session (see esc_tsess); this process and the guard hold its handle.
    TSess = esc_tsess:open(Tracer),
    Guard = esc_trace_guard:start(self(), Owner, Ctx0),
    Agent = maps:from_list([{P, true} || P <- [self(), Tracer, Guard | Encs]]),
    Ctx = Ctx0#{tracer => Tracer, agent => Agent},
    [E ! {esc_ctx, #{tracer => Tracer, agent => Agent}} || E <- Encs],
    TickMs = maps:get(tick_ms, Config, 250),
    erlang:send_after(TickMs, self(), tick),
    S = #s{owner = Owner, ctx = Ctx, cfg = Config, safety = Safety, tracer = Tracer, tsess = TSess,
           encs = Encs, guard = Guard,
           tcw0 = Tcw0, tick_ms = TickMs, stats_at = now_ms()},
    {ok, apply_plan(Config, S)}.

-spec handle_call(term(), gen_server:from(), #s{}) -> {reply, term(), #s{}} | {stop, normal, ok, #s{}}.
handle_call(info, _From, S) ->
    {reply, {ok, info(S)}, S};
handle_call({configure, Config}, _From, S) ->
    S2 = apply_plan(Config, reset_degradation(S#s{cfg = Config})),
    {reply, {ok, info(S2)}, S2};
handle_call({base_ms, MFA}, _From, S) ->
    {reply, esc_trace_plan:base_ms(MFA, S#s.mods, S#s.degr), S};
handle_call({esc_bps, Fun}, _From, S) when is_function(Fun, 1) ->
    %% Breakpoint changes (esc_bps) run here, serialized with the engine's own pattern changes,
    %% given the engine's current spec per function.
    R = try {esc_bps_result, Fun(base_fun(S))}
        catch Class:Reason:Stack -> {esc_bps_failed, {Class, Reason, Stack}}
        end,
    {reply, R, S};
handle_call(status, _From, #s{ctx = #{counters := Cnt}} = S) ->
    {reply, #{mode => S#s.mode, modules => maps:keys(S#s.mods), degraded => S#s.degr,
              tracer => S#s.tracer, encoders => S#s.encs, guard => S#s.guard,
              events_in => atomics:get(Cnt, ?C_IN), encoded => atomics:get(Cnt, ?C_ENCODED),
              dropped => atomics:get(Cnt, ?C_DROPPED)}, S};
handle_call(stop, _From, S) ->
    shutdown(S),
    {stop, normal, ok, S#s{mode = stopped}};
handle_call(_Other, _From, S) ->
    {reply, {error, unknown_request}, S}.

-spec handle_cast(term(), #s{}) -> {noreply, #s{}}.
handle_cast(_Msg, S) ->
    {noreply, S}.

-spec handle_info(term(), #s{}) -> {noreply, #s{}} | {stop, normal, #s{}}.
handle_info(tick, S) ->
    erlang:send_after(S#s.tick_ms, self(), tick),
    {noreply, tick(S)};
handle_info(tcw_tick, #s{degr = Degr} = S) when map_size(Degr) > 0 ->
    K = S#s.tcw_k + 1,
    Gates = gate(K, 4, 1) bor gate(K, 16, 2) bor gate(K, 64, 4),
    erlang:system_flag(trace_control_word, (S#s.tcw0 band (bnot ?TCW_BITS)) bor Gates),
    erlang:send_after(?TCW_TICK_MS, self(), tcw_tick),
    {noreply, S#s{tcw_k = K}};
handle_info(tcw_tick, S) ->
    erlang:system_flag(trace_control_word, S#s.tcw0),
    {noreply, S#s{tcw_on = false}};
handle_info({'DOWN', _, process, Owner, _}, #s{owner = Owner} = S) ->
    %% The connection is gone: undo everything now (the guard double-checks within 1 s).
    shutdown(S),
    {stop, normal, S#s{mode = stopped}};
handle_info({'EXIT', Pid, Reason}, S) when Reason =/= normal ->
    case lists:member(Pid, [S#s.tracer | S#s.encs]) of
        true ->
            say(S, 'ERROR', 2008, io_lib:format("Recording stopped: an agent process (~s) exited (~0p); "
                                                "its heap bound is ~b words. All trace settings were removed.",
                                                [role(Pid, S), short(Reason), maps:get(max_heap_words, S#s.safety)])),
            shutdown(S),
            {stop, normal, S#s{mode = stopped}};
        false -> {noreply, S}
    end;
handle_info(_Other, S) ->
    {noreply, S}.

-spec terminate(term(), #s{}) -> ok.
terminate(_Reason, S) ->
    %% Idempotent: a crash of the controller itself still removes everything it set.
    catch esc_trace_guard:cleanup(S#s.tsess, maps:keys(S#s.mods), S#s.tcw0),
    ok.

%% ---------------------------------------------------------------- plan

apply_plan(Config, #s{mods = Old, ctx = Ctx} = S) ->
    {Mods, NotLoaded, Refused} = esc_trace_plan:resolve(Config),
    [esc_trace_plan:clear_module(M) || M <- maps:keys(Old), not lists:member(M, Mods)],
    Infos = maps:from_list([{M, esc_trace_plan:inspect(M)} || M <- Mods]),
    maps:foreach(fun(M, I) -> esc_trace_plan:set_module(M, I, S#s.degr) end, Infos),
    Cbs = maps:from_list([{M, K} || {M, #{callback_kind := K}} <- maps:to_list(Infos), K =/= none]),
    Hooks = maps:with([hit_fun, exc_filter], Config),
    [E ! {esc_ctx, Hooks#{cb_mods => Cbs, limits => limits(Config)}} || E <- S#s.encs],
    S#s.tracer ! {esc_limits, limits(Config)},
    S1 = S#s{mods = Infos, matcher = matcher(Config), loaded = loaded_map(),
             ctx = maps:merge(Ctx, Hooks#{cb_mods => Cbs, limits => limits(Config)})},
    patterns_hook(Mods, S1#s{cfg = Config}),
    %% The ExUnit probe names test processes after their test (esc_trace_ident).
    Probes = esc_trace_ident:set_probes(Mods),
    [E ! {esc_ctx, #{ident_probes => Probes}} || E <- S#s.encs],
    S2 = set_flags(S1),
    NewCbs = [M || M <- maps:keys(Cbs), not maps:is_key(M, Old)],
    S3 = snapshot(NewCbs, S2),
    guard_update(S3),
    [say(S3, 'WARNING', 2001, io_lib:format("~s is not recorded: ~s.", [M, Why])) || {M, Why} <- Refused],
    NotLoaded =/= [] andalso
        say(S3, 'INFO', 2001, io_lib:format("Not loaded yet, recorded as soon as they load: ~s.", [names(NotLoaded)])),
    Loops = [{M, F, A} || {M, #{loops := Ls}} <- maps:to_list(Infos), {F, A} <- Ls],
    Loops =/= [] andalso
        say(S3, 'INFO', 2013, io_lib:format("Tail-recursive loops are recorded without return values so "
                                            "their tail calls stay tail calls: ~s.", [mfas(Loops)])),
    S3#s{cfg = Config}.

set_flags(#s{flags_set = true} = S) ->
    S;
set_flags(#s{tracer = Tracer, cfg = Config} = S) ->
    case breakpoint_only(Config) of
        true -> bp_patterns(Tracer, S);
        false ->
            esc_tsess:current() =:= legacy andalso foreign_tracers(S),
            _ = esc_tsess:process(all, true, [call, strict_monotonic_timestamp, {tracer, Tracer}]),
            [catch esc_tsess:process(P, false, [all]) || P <- maps:keys(maps:get(agent, S#s.ctx))],
            bp_patterns(false, S#s{flags_set = true})
    end.

%% Nothing to record beyond breakpoints (launch `trace: []`, no line probes): no process gets a
%% trace flag and breakpoints are meta patterns, so code that hits none pays only the VM's check
%% of the match spec. Flags once set stay (a later breakpoint-only plan keeps call patterns).
breakpoint_only(Config) ->
    lists:all(fun(K) -> case maps:get(K, Config, []) of [] -> true; undefined -> true; _ -> false end end,
              [modules, apps, prefixes, line_probes]).

%% Switches breakpoint patterns to meta patterns into Tracer, or back to call patterns (false):
%% encoders then neither upgrade hit processes with message flags nor expect call-flag events, and
%% the breakpoints are placed again in the new kind (the on_patterns hook).
bp_patterns(Tracer, #s{cfg = Config, ctx = Ctx, encs = Encs} = S) ->
    case esc_tsess:bp_meta() =:= Tracer of
        true -> S;
        false ->
            ok = esc_tsess:set_bp_meta(Tracer),
            Up = Tracer =:= false andalso maps:get(upgrade, Config, true),
            [E ! {esc_ctx, #{upgrade => Up}} || E <- Encs],
            S1 = S#s{ctx = Ctx#{upgrade => Up}},
            breakpoints_hook(S1),
            S1
    end.

%% On OTP 25/26 (no trace sessions) a process has at most one tracer: processes another tool (e.g. :dbg) traces are
%% skipped by erlang:trace(all, ...) and therefore not recorded. Say so.
foreign_tracers(S) ->
    Mine = maps:get(agent, S#s.ctx),
    Foreign = [{P, T} || P <- processes(), {tracer, T} <- [erlang:trace_info(P, tracer)],
                         T =/= [], not maps:is_key(T, Mine)],
    case Foreign of
        [] -> ok;
        [{P1, T1} | _] ->
            Tracers = lists:usort([T || {_, T} <- Foreign]),
            say(S, 'WARNING', 2002,
                io_lib:format("~b process(es) already have another tracer (e.g. ~p traced by ~p; tracers: ~p), "
                              "probably :dbg or another debugger. They are not recorded until that tracer "
                              "stops (OTP ~s allows one tracer per process).",
                              [length(Foreign), P1, T1, Tracers, erlang:system_info(otp_release)]))
    end.

snapshot([], S) -> S;
snapshot(CbMods, #s{encs = Encs, ctx = Ctx} = S) ->
    Snap = esc_trace_snap:start(maps:from_list([{M, true} || M <- CbMods]), Encs, maps:get(agent, Ctx)),
    Agent = (maps:get(agent, Ctx))#{Snap => true},
    [E ! {esc_ctx, #{agent => Agent}} || E <- Encs],
    Snap ! go,
    S#s{ctx = Ctx#{agent => Agent}}.

matcher(Config) ->
    Exact = maps:from_list([{to_atom(M), true} || M <- maps:get(modules, Config, [])]),
    Prefixes = [iolist_to_binary(P) || P <- maps:get(prefixes, Config, []), iolist_size(P) > 0],
    Apps = [to_atom(A) || A <- maps:get(apps, Config, [])],
    AppMods = maps:from_list([{M, true} || A <- Apps, {ok, Ms} <- [application:get_key(A, modules)], M <- Ms]),
    {Exact, Prefixes, AppMods}.

wanted(M, {Exact, Prefixes, AppMods}) ->
    case maps:is_key(M, Exact) of
        true -> not esc_trace_plan:refused(M);
        false ->
            B = atom_to_binary(M, utf8),
            (maps:is_key(M, AppMods)
             orelse lists:any(fun(P) -> binary:longest_common_prefix([B, P]) =:= byte_size(P) end, Prefixes))
                andalso not esc_trace_plan:excluded(M)
    end.

loaded_map() ->
    maps:from_list([{M, true} || M <- erlang:loaded()]).

%% New modules that match the plan get their patterns; planned modules whose sentinel lost its
%% pattern (reloaded) get them again.
poll(#s{mods = Mods, loaded = Known, matcher = Matcher} = S) ->
    Now = loaded_map(),
    New = [M || M <- maps:keys(Now), not maps:is_key(M, Known), not maps:is_key(M, Mods), wanted(M, Matcher)],
    Reloaded = [M || {M, #{sentinel := {F, A}}} <- maps:to_list(Mods),
                     esc_tsess:info({M, F, A}, traced) =:= {traced, false},
                     erlang:module_loaded(M)],
    case New ++ Reloaded of
        [] -> S#s{loaded = Now};
        Changed ->
            Infos = maps:from_list([{M, esc_trace_plan:inspect(M)} || M <- Changed]),
            maps:foreach(fun(M, I) -> esc_trace_plan:set_module(M, I, S#s.degr) end, Infos),
            Mods2 = maps:merge(Mods, Infos),
            Cbs = maps:from_list([{M, K} || {M, #{callback_kind := K}} <- maps:to_list(Mods2), K =/= none]),
            [E ! {esc_ctx, #{cb_mods => Cbs}} || E <- S#s.encs],
            S1 = S#s{mods = Mods2, loaded = Now, ctx = (S#s.ctx)#{cb_mods => Cbs}},
            guard_update(S1),
            patterns_hook(Changed, S1),
            New =/= [] andalso say(S1, 'INFO', 2012, io_lib:format("Now recording newly loaded ~s.", [names(New)])),
            Reloaded =/= [] andalso say(S1, 'INFO', 2011,
                                        io_lib:format("Reloaded ~s: recording re-applied.", [names(Reloaded)])),
            S1
    end.

%% ---------------------------------------------------------------- safety and stats

tick(#s{ctx = #{counters := Cnt, mfa_tab := Tab}, tick = T} = S0) ->
    S = heap_watch(poll(S0)),
    tick_hook(S),
    In = atomics:get(Cnt, ?C_IN),
    %% The node's event rate: what the tracer handed on plus what it had to shed.
    Offered = In + atomics:get(Cnt, ?C_SHED),
    Rate = (Offered - S#s.last_in) * 1000 div S#s.tick_ms,
    Counts = ets:tab2list(Tab),
    ets:delete_all_objects(Tab),
    %% The tracer's own flag, or its queue as it stands when far past the limit: a tracer that
    %% cannot even get to its next flush must still count as overloaded.
    Overload = atomics:exchange(Cnt, ?C_OVERLOAD, 0) =:= 1 orelse tracer_backlog(S) > 4 * maps:get(max_mailbox, S#s.safety),
    Streak = case Overload of true -> S#s.overload_ticks + 1; false -> 0 end,
    SinkFull = atomics:exchange(Cnt, ?C_SINK_FULL, 0) =:= 1,
    Overload andalso say_once(S, overload, 'WARNING', 2006,
                              io_lib:format("The agent's tracer mailbox passed ~b messages: events are being "
                                            "dropped (counted in Stats) and the noisiest functions degraded.",
                                            [maps:get(max_mailbox, S#s.safety)])),
    SinkFull andalso say_once(S, sink_full, 'WARNING', 2007,
                              "The connection to the adapter is not keeping up: event batches are being "
                              "dropped (counted in Stats and EventBatch.dropped)."),
    Limit = maps:get(max_events_per_s, S#s.safety),
    Calm = case Rate * 4 < Limit of true -> S#s.calm + 1; false -> 0 end,
    {Degr, Actions} = esc_trace_safety:decide(Rate, Limit, Counts, S#s.degr,
                                              #{overload => Overload, overload_ticks => Streak,
                                                calm_ticks => Calm, now_ms => now_ms(),
                                                retry_ms => maps:get(retry_ms, S#s.cfg, 1000)}, #{}),
    Acted = act(Actions, S#s{degr = Degr, calm = case Actions of [] -> Calm; _ -> 0 end}),
    S1 = Acted#s{windows = esc_trace_windows:track(Counts, Actions, Acted#s.windows, Acted#s.ctx)},
    S2 = S1#s{last_in = Offered, tick = T + 1, overload_ticks = Streak,
              sampled = S1#s.sampled + esc_trace_safety:sampled_estimate(Counts, S#s.degr),
              mode = mode(Degr)},
    S3 = tcw(S2),
    case (T + 1) rem max(1, 1000 div S#s.tick_ms) of
        0 -> report_windows(true, stats(S3));
        _ -> S3
    end.

act([], S) -> S;
act(Actions, #s{mods = Mods} = S) ->
    lists:foreach(
      fun({sample, {M, F, A} = MFA, L, R}) ->
              Loop = lists:member({F, A}, maps:get(loops, maps:get(M, Mods, #{loops => []}))),
              _ = esc_tsess:function(MFA, esc_trace_plan:ms_sampled(L, Loop), [local]),
              say(S, 'WARNING', 2003, io_lib:format("Rate limit (~b events/s): ~s produced ~~~b events/s; now "
                                                    "recording 1 call in ~b.",
                                                    [limit(S), mfa_str(MFA), R, 1 bsl (2 * L)]));
         ({suspend, MFA, R}) ->
              _ = esc_tsess:function(MFA, false, [local]),
              say(S, 'WARNING', 2004, io_lib:format("Rate limit (~b events/s): ~s is still too noisy (~~~b events/s "
                                                    "estimated); its recording is suspended and retried later.",
                                                    [limit(S), mfa_str(MFA), R]));
         ({restore, {M, F, A} = MFA, Level}) ->
              Info = maps:get(M, Mods, #{loops => []}),
              Loop = lists:member({F, A}, maps:get(loops, Info)),
              Ms = case Level of
                       full when Loop -> esc_trace_plan:ms_call_only();
                       full -> esc_trace_plan:ms_full();
                       Lv -> esc_trace_plan:ms_sampled(Lv, Loop)
                   end,
              _ = esc_tsess:function(MFA, Ms, [local]),
              say(S, 'INFO', 2005, io_lib:format("Rate back under the limit: ~s is recorded ~s again.",
                                                 [mfa_str(MFA), how(Level)]))
      end, Actions),
    %% Sentinels must not be degraded functions, or reload detection would misfire.
    Mods2 = maps:map(fun(M, Info) -> Info#{sentinel => esc_trace_plan:sentinel(M, S#s.degr)} end, Mods),
    S2 = S#s{mods = Mods2},
    patterns_hook(lists:usort([M || A <- Actions, {M, _, _} <- [element(2, A)]]), S2),
    S2.

%% The engine just (re)set the patterns of Mods: the `on_patterns` hook of the config (breakpoints,
%% esc_bp:sync_patterns/3) puts its clauses back in front, given the engine's own spec per MFA.
patterns_hook([], _S) -> ok;
patterns_hook(Mods, S) -> breakpoints_hook(Mods, S).

breakpoints_hook(S) -> breakpoints_hook([], S).

breakpoints_hook(Mods, #s{cfg = Config} = S) ->
    case maps:get(on_patterns, Config, undefined) of
        Fun when is_function(Fun, 2) ->
            try Fun(Mods, base_fun(S))
            catch _:_ -> ok
            end;
        _ -> ok
    end.

base_fun(#s{mods = Infos, degr = Degr}) ->
    fun(MFA) -> esc_trace_plan:base_ms(MFA, Infos, Degr) end.

%% The `on_tick` hook of the config (esc_bps: pending breakpoints whose module loaded, modules
%% with breakpoints reloaded outside the plan) runs every tick, given the engine's spec per MFA.
tick_hook(#s{cfg = Config} = S) ->
    case maps:get(on_tick, Config, undefined) of
        Fun when is_function(Fun, 1) ->
            try Fun(base_fun(S))
            catch _:_ -> ok
            end;
        _ -> ok
    end.

how(full) -> "fully";
how(L) -> io_lib:format("1 call in ~b", [1 bsl (2 * L)]).

tcw(#s{degr = Degr, tcw_on = false} = S) when map_size(Degr) > 0 ->
    self() ! tcw_tick,
    S#s{tcw_on = true};
tcw(S) -> S.

gate(K, Period, Bit) ->
    case K rem Period of 0 -> Bit; _ -> 0 end.

mode(Degr) when map_size(Degr) =:= 0 -> full;
mode(Degr) ->
    case [x || {suspended, _} <- maps:values(Degr)] of
        [] -> sampling;
        _ -> suspended
    end.

stats(#s{ctx = #{counters := Cnt} = Ctx} = S) ->
    Now = now_ms(),
    In = atomics:get(Cnt, ?C_IN),
    Secs = max(1, Now - S#s.stats_at) / 1000,
    Agent = [S#s.tracer, self(), S#s.guard | S#s.encs],
    Queues = [Q || P <- Agent, {message_queue_len, Q} <- [erlang:process_info(P, message_queue_len)]],
    Mem = lists:sum([M || P <- Agent, {memory, M} <- [erlang:process_info(P, memory)]]),
    Peak = max(atomics:exchange(Cnt, ?C_MBOX_PEAK, 0), lists:max([0 | Queues])),
    Stats = #{events_total => In, events_per_s => round((In - S#s.stats_in) / Secs),
              dropped_total => atomics:get(Cnt, ?C_DROPPED), sampled_total => S#s.sampled,
              mailbox_peak => Peak, memory_bytes => Mem, node_memory_bytes => erlang:memory(total),
              mode => atom_to_binary(S#s.mode, utf8)},
    _ = esc_trace_sink:message(Ctx, #{msg => {stats, Stats}}),
    S#s{stats_in = In, stats_at = Now}.

%% The data-path processes have no max_heap_size (one huge traced term must not kill them: the
%% tracer captures such terms' big parts, see esc_trace_prune), so their bound is kept here: one
%% that stays over max_heap_words for ?HEAVY_TICKS ticks in a row (a leak, not a big term, which
%% takes milliseconds) is killed, and its exit stops recording cleanly with notice 2008.
heap_watch(#s{tracer = Tracer, encs = Encs, heavy = Heavy, safety = #{max_heap_words := Max}} = S) ->
    S#s{heavy = lists:foldl(
                  fun(P, H) ->
                          case erlang:process_info(P, total_heap_size) of
                              {total_heap_size, W} when W > Max ->
                                  N = maps:get(P, Heavy, 0) + 1,
                                  N >= ?HEAVY_TICKS andalso exit(P, kill),
                                  H#{P => N};
                              _ -> H
                          end
                  end, #{}, [Tracer | Encs])}.

tracer_backlog(#s{tracer = Tracer}) ->
    case erlang:process_info(Tracer, message_queue_len) of
        {message_queue_len, Q} -> Q;
        undefined -> 0
    end.

reset_degradation(#s{degr = Degr} = S) when map_size(Degr) =:= 0 -> S;
reset_degradation(S) ->
    erlang:system_flag(trace_control_word, S#s.tcw0),
    Ctx = S#s.ctx,
    S#s{degr = #{}, mode = full,
        windows = esc_trace_windows:report(false, esc_trace_windows:close_all(S#s.windows, Ctx), Ctx)}.

%% Sends the sampling windows' gaps (Open: with the open windows as they stand, see esc_trace_windows).
report_windows(Open, #s{windows = W, ctx = Ctx} = S) ->
    S#s{windows = esc_trace_windows:report(Open, W, Ctx)}.

%% ---------------------------------------------------------------- shutdown

%% Undoes everything (esc_trace_guard:cleanup/3) and tells the guard, which then ends.
shutdown(#s{tracer = Tracer, tsess = TSess, encs = Encs, mods = Mods, tcw0 = Tcw0, guard = Guard}) ->
    esc_trace_guard:cleanup(TSess, maps:keys(Mods), Tcw0),
    [begin unlink(P), exit(P, kill) end || P <- [Tracer | Encs]],
    esc_trace_guard:done(Guard).

%% What the guard undoes if this process cannot.
guard_update(#s{guard = G, tracer = T, tsess = TSess, mods = Mods, tcw0 = Tcw0}) ->
    esc_trace_guard:update(G, T, TSess, maps:keys(Mods), Tcw0).

%% ---------------------------------------------------------------- helpers

safety(Config) ->
    Given = submap(safety, Config),
    Def = #{max_events_per_s => 200000, max_mailbox => 50000, max_heap_words => 4000000},
    maps:map(fun(K, D) -> case maps:get(K, Given, 0) of
                              N when is_integer(N), N > 0 -> N;
                              _ -> D
                          end end, Def).

limits(Config) ->
    esc_trace_enc:limits(submap(capture, Config)).

%% A nested message of the Configure map; absent (or undefined) means all defaults.
submap(Key, Config) ->
    case maps:get(Key, Config, #{}) of
        M when is_map(M) -> M;
        _ -> #{}
    end.

info(#s{mods = Mods, cfg = Config}) ->
    Requested = [to_atom(M) || M <- maps:get(modules, Config, [])],
    #{modules => [atom_to_binary(M, utf8) || M <- lists:sort(maps:keys(Mods))],
      not_loaded => [atom_to_binary(M, utf8) || M <- Requested, not maps:is_key(M, Mods),
                                                not esc_trace_plan:refused(M)]}.

say(#s{ctx = Ctx}, Severity, Code, Message) ->
    _ = esc_trace_sink:notice(Ctx, Severity, Code, Message),
    true.

%% At most one notice of a kind per NOTICE_GAP_MS (stored in the process dictionary).
say_once(S, Kind, Severity, Code, Message) ->
    Now = now_ms(),
    case get({esc_said, Kind}) of
        At when is_integer(At), Now - At < ?NOTICE_GAP_MS -> true;
        _ -> put({esc_said, Kind}, Now), say(S, Severity, Code, Message)
    end.

limit(S) -> maps:get(max_events_per_s, S#s.safety).

role(Pid, #s{tracer = Pid}) -> "tracer";
role(_Pid, _S) -> "encoder".

short({Reason, _Stack}) when is_atom(Reason) -> Reason;
short(Reason) -> Reason.

names(Mods) -> lists:join(", ", [atom_to_binary(M, utf8) || M <- Mods]).

mfas(MFAs) -> lists:join(", ", [mfa_str(MFA) || MFA <- lists:sublist(MFAs, 10)]).

mfa_str({M, F, A}) -> io_lib:format("~s.~s/~b", [M, F, A]).

now_ms() -> erlang:monotonic_time(millisecond).

to_atom(A) when is_atom(A) -> A;
to_atom(B) when is_binary(B) -> binary_to_atom(B, utf8);
to_atom(L) when is_list(L) -> list_to_atom(L).
