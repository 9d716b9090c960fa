%% The session's breakpoint set: what the connection's setBreakpoints / setExceptionFilters /
%% Configure.line_probes turn into, kept applied to the running code by the recording engine.
%%
%% Why a separate module: esc_bp_plan prepares one breakpoint, esc_bp_ms builds its match specs, esc_probe
%% instruments modules, esc_trace records; something must own the *set* across commands, hold the
%% hit counters shared by the engine's encoders, and keep patterns and probes right when modules
%% load, reload or get recompiled. State lives in the esc_bp_set ETS table (owned by esc_bp_store, so
%% it outlives every caller); every change of patterns runs inside the engine's controller
%% ({esc_bps, Fun} call) when the engine runs, so it never races the engine's own pattern changes.
%%
%% Rows of esc_bp_set:
%%   {{bp, Id}, Rec}          one breakpoint (esc_bp_record: spec, status, prepared, message,
%%                            counter (atomics, shared by encoders), module md5s)
%%   {{file, File}, [Id]}     ids per source file (<<>> = function breakpoints)
%%   {opts, #{owner, sink, ebin_dirs, allow_side_effects}}, {line_probes, [M]}, {filters, #{raised, crashes}}
%%   {applied, [Prepared]}    what the trace patterns currently carry (for esc_bp_ms:sync_patterns/3)
%%   {{base, MFA}, Recorded}  whether the engine records MFA anyway (else a tagged call whose
%%                            breakpoints did not pass is dropped, not recorded)
%%   {loaded, N}              number of loaded modules at the last pending retry
%%   {seen, #{M => Md5}}      md5 of the modules breakpoints/probes touch, at the last refresh
%%   {{raised, Id}, ...}      conditions that raised, counted and reported by esc_bp_raised
%%
%% Semantics:
%% - set_breakpoints replaces every breakpoint of a file ("" = function breakpoints; one sent
%%   again unchanged keeps its hit count). Each is
%%   prepared (esc_bp_record, esc_bp_plan:prepare) right away: verified, moved ("moved to line N"), or unverified with
%%   esc_bp_plan's message. A breakpoint whose file no beam comes from (not_compiled) or whose function
%%   breakpoint module cannot be loaded stays *pending*: retried whenever more modules are loaded.
%% - Hits: hit/1 is the engine's hit_fun. Conditions decided in the match spec never reach it;
%%   others are checked by esc_bp_hit:on_hit; hit counts are atomics per breakpoint, so they count
%%   across encoders. Passing breakpoints without a log message mark the event (hits); log points
%%   produce LogOutput (logs) and do not mark. A condition that raises counts as false and is
%%   counted (esc_bp_raised); the controller's tick tells the adapter, once per breakpoint.
%% - Side effects: conditions and log messages may call only esc_pure's allow-list unless the
%%   Configure says allow_side_effects (launch attribute allowSideEffects).
%% - Reload/recompile: a breakpoint whose module's md5 changed since it was prepared (user reload,
%%   recompile, probes restored) is prepared again (new clause table, new probes), on the engine's
%%   on_patterns hook (plan modules) or its on_tick hook (others, pending ones).
%% - Line probes: modules of Configure.line_probes are instrumented with every line recorded;
%%   modules with body-line breakpoints only carry their breakpoints' probe patterns; a module
%%   no longer needed by either is restored.
%% - cleanup/0 (engine stop, via esc_trace_guard:cleanup/3) removes every breakpoint pattern;
%%   session_down/1 (the owner, i.e. the connection, died) also forgets the set.
-module(esc_bp_set).

-export([engine_config/1, set_breakpoints/1, set_exception_filters/1, hit/1, exc_filter/1,
         on_patterns/2, on_tick/1, cleanup/0, session_down/1, reset/0, states/0]).

-define(T, esc_bp_set).
-define(NOTICE_LINE_PROBES, 2200).

%% ------------------------------------------------------------------ API (the connection)

%% The engine config for a Configure: hooks added, line_probes remembered. Call it in the process
%% that owns the session (the connection).
-spec engine_config(map()) -> map().
engine_config(Config) ->
    table(),
    Owner = self(),
    O = opts(),
    ets:insert(?T, {opts, O#{owner => Owner, sink => maps:get(sink, Config, esc_conn),
                             allow_side_effects => maps:get(allow_side_effects, Config, false) =:= true}}),
    _ = esc_bp_store:watch(Owner),
    ets:insert(?T, {line_probes, lists:usort([esc_lib:to_atom(M) || M <- maps:get(line_probes, Config, [])])}),
    Config#{hit_fun => fun ?MODULE:hit/1, exc_filter => fun ?MODULE:exc_filter/1,
            on_patterns => fun ?MODULE:on_patterns/2, on_tick => fun ?MODULE:on_tick/1}.

%% SetBreakpoints (decoded map) -> BreakpointStates map.
-spec set_breakpoints(map()) -> #{breakpoints := [map()]}.
set_breakpoints(Req) ->
    table(),
    Owner = self(),
    File = maps:get(file, Req, <<>>),
    Specs = maps:get(breakpoints, Req, []),
    O = opts(),
    Dirs = lists:usort(maps:get(ebin_dirs, O, []) ++ [unicode:characters_to_list(D) || D <- maps:get(ebin_dirs, Req, [])]),
    ets:insert(?T, {opts, O#{owner => Owner, ebin_dirs => Dirs}}),
    _ = esc_bp_store:watch(Owner),
    Recs = with_engine(
             fun(Base) ->
                     Prev = maps:from_list([{Id, R} || Id <- lookup({file, File}, []),
                                                       [{_, R}] <- [ets:lookup(?T, {bp, Id})]]),
                     [ets:delete(?T, {bp, Id}) || Id <- maps:keys(Prev)],
                     Opts = opts(),
                     New = [esc_bp_record:new(File, Spec, Prev, Opts) || Spec <- Specs],
                     ets:insert(?T, {{file, File}, [Id || #{id := Id} <- New]}),
                     refresh(Base, true),
                     [esc_bp_record:current(R) || R <- New]
             end),
    #{breakpoints => [esc_bp_record:state(R) || R <- Recs]}.

%% SetExceptionFilters -> Reply result.
-spec set_exception_filters(map()) -> {ok, #{}}.
set_exception_filters(F) ->
    table(),
    ets:insert(?T, {filters, #{raised => maps:get(raised, F, false) =:= true,
                               crashes => maps:get(crashes, F, false) =:= true}}),
    {ok, #{}}.

%% BreakpointState of every breakpoint of the session (tests, diagnostics).
-spec states() -> [map()].
states() ->
    case ets:info(?T) of
        undefined -> [];
        _ -> [esc_bp_record:state(R) || {{bp, _}, R} <- ets:tab2list(?T)]
    end.

%% Removes every breakpoint pattern and probe and forgets the session's set.
-spec reset() -> ok.
reset() ->
    case ets:info(?T) of
        undefined -> ok;
        _ ->
            cleanup(),
            _ = esc_probe:restore_all(),
            ets:delete_all_objects(?T),
            ok
    end.

%% ------------------------------------------------------------------ engine hooks

%% hit_fun: a call tagged by a breakpoint match spec (runs in an encoder).
-spec hit(tuple()) -> none | skip | map().
hit({trace_ts, _, call, {M, F, Args}, Tag, _} = Msg)
  when (tuple_size(Tag) =:= 2 orelse tuple_size(Tag) =:= 3) andalso
       (element(1, Tag) =:= esc_bp orelse element(1, Tag) =:= esc_bp_check) ->
    Ids = element(2, Tag),
    Recs = [R || Id <- Ids, [{_, #{status := ok} = R}] <- [ets:lookup(?T, {bp, Id})]],
    Ctrs = maps:from_list([{Id, C} || #{id := Id, counter := C} <- Recs]),
    Count = fun(Id) -> atomics:add_get(maps:get(Id, Ctrs), 1, 1) end,
    {Acts, Bound, _} = esc_bp_hit:on_hit([P || #{prepared := P} <- Recs], Msg, Count),
    [esc_bp_raised:record(Id, What) || {cond_raised, Id, What} <- Acts],
    Stops = [Id || {stop, Id} <- Acts],
    Logs = [{Id, Text} || {log, Id, Text} <- Acts],
    case Stops =:= [] andalso Logs =:= [] andalso not lookup({base, {M, F, length(Args)}}, false) of
        true -> skip;
        false ->
            B = case Bound of none -> #{}; _ -> Bound end,
            %% The stack only matters where the Debug pane stops.
            Stack = case Stops of [] -> []; _ -> esc_bp_hit:hit_stack(Msg) end,
            B#{hits => Stops, logs => Logs, stack => Stack}
    end;
hit(_) ->
    none.

%% exc_filter: is the `raised` / `crashes` exception filter on?
-spec exc_filter(raised | crashes) -> boolean().
exc_filter(Kind) ->
    maps:get(Kind, lookup(filters, #{}), false).

%% on_patterns: the engine (re)set the patterns of Mods (plan, reload, degradation).
-spec on_patterns([module()], fun((mfa()) -> list())) -> ok.
on_patterns(_Mods, Base) ->
    case ets:info(?T) of
        undefined -> ok;
        _ -> refresh(Base, true)
    end.

%% on_tick: pending breakpoints and reloads outside the plan.
-spec on_tick(fun((mfa()) -> list())) -> ok.
on_tick(Base) ->
    case ets:info(?T) of
        undefined -> ok;
        _ ->
            refresh(Base, false),
            Sink = #{sink => maps:get(sink, opts(), esc_conn)},
            esc_bp_raised:report(fun esc_bp_record:where/1, fun(Msg) -> catch esc_trace_sink:message(Sink, Msg) end)
    end.

%% Removes every breakpoint pattern (engine cleanup: any process, safe to repeat). The set is
%% kept: a new Configure applies it again.
-spec cleanup() -> ok.
cleanup() ->
    case ets:info(?T) of
        undefined -> ok;
        _ ->
            [clear_pattern(MFA) || MFA <- esc_bp_ms:patterns(lookup(applied, []))],
            [catch esc_probe:enable_all(M, false) || M <- lookup(line_probes, [])],
            ets:insert(?T, {applied, []}),
            ets:match_delete(?T, {{base, '_'}, '_'}),
            ok
    end.

%% The session's owner died (esc_bp_store): remove everything and forget the set. Another
%% owner's session is left alone (returns skip).
-spec session_down(pid()) -> ok | skip.
session_down(Owner) ->
    case ets:info(?T) of
        undefined -> _ = esc_probe:restore_all(), ok;
        _ ->
            case maps:get(owner, opts(), undefined) of
                O when O =:= Owner; O =:= undefined -> reset();
                _ -> skip
            end
    end.

%% ------------------------------------------------------------------ applying

%% Re-prepares what went stale (reload, recompile, restored probes) or pending (when more modules
%% are loaded, or Force), instruments line-probe modules, restores modules no longer needed, then
%% (when anything changed, or Force) sets every breakpoint pattern. Runs in the controller (or
%% in the caller when no engine runs): Base is the engine's spec per MFA.
refresh(Base0, Force) ->
    O = opts(),
    LP = lookup(line_probes, []),
    Nloaded = length(erlang:loaded()),
    RetryPending = Force orelse Nloaded =/= lookup(loaded, 0),
    ets:insert(?T, {loaded, Nloaded}),
    Seen = lookup(seen, #{}),
    %% line_probes modules (instrument is idempotent; it re-instruments after a user reload)
    LPok = [M || M <- LP, lp_instrument(M, O)],
    Recs = [R || {{bp, _}, R} <- ets:tab2list(?T)],
    Redone = [{esc_bp_record:state(R),
               begin R2 = esc_bp_record:prepare(R, O), ets:insert(?T, {{bp, Id}, R2}), esc_bp_record:state(R2) end}
              || #{id := Id, status := St} = R <- Recs,
                 esc_bp_record:stale(R) orelse (St =:= pending andalso RetryPending)],
    Changed = [maps:get(id, New) || {_, New} <- Redone],
    tell_changed([New || {Old, New} <- Redone, New =/= Old], O),
    Active = [P || {{bp, _}, #{status := ok, prepared := P}} <- ets:tab2list(?T)],
    %% modules instrumented but needed neither by a body breakpoint nor by line_probes
    Needed = lists:usort(LPok ++ [M || #{entries := Es} <- Active, #{probe := #{module := M}} <- Es]),
    Restored = [M || M <- esc_probe:instrumented(), not lists:member(M, Needed)],
    [esc_probe:restore(M) || M <- Restored],
    Mods = lists:usort(Needed ++ Restored ++ [M || P <- Active, M <- maps:keys(esc_bp_record:md5s(P))]),
    Now = esc_bp_record:module_md5s(Mods),
    %% modules loaded anew since the last time (ours: instrument/restore; the user's: reload)
    Reloaded = [M || {M, Md5} <- maps:to_list(Now), Md5 =/= none, maps:get(M, Seen, none) =/= Md5],
    ets:insert(?T, {seen, Now}),
    case Force orelse Changed =/= [] orelse Reloaded =/= [] of
        false -> ok;
        true ->
            %% a reload lost the engine's own patterns of those modules: put them back first
            [reapply_base(M, Base0) || M <- Reloaded],
            Base = base_fun(Base0, LPok),
            [esc_probe:enable_all(M, true) || M <- LPok],
            Old = lookup(applied, []),
            ok = esc_bp_ms:sync_patterns(Old, Active, Base),
            ets:match_delete(?T, {{base, '_'}, '_'}),
            ets:insert(?T, [{{base, MFA}, Base(MFA) =/= []} || MFA <- esc_bp_ms:patterns(Active)]),
            ets:insert(?T, {applied, Active}),
            ok
    end.

lp_instrument(M, O) ->
    case erlang:module_loaded(M) of
        false -> false;
        true ->
            case esc_probe:instrument(M, maps:with([owner], O)) of
                {ok, _} -> true;
                {error, #{message := Msg}} ->
                    case lookup({lp_error, M}, undefined) of
                        Msg -> ok;
                        _ ->
                            ets:insert(?T, {{lp_error, M}, Msg}),
                            notice(O, esc_lib:fmt("Line probes cannot be placed in ~s: ~ts", [M, Msg]))
                    end,
                    false
            end
    end.

%% Probe stubs are recorded line by line (every call) for line_probes modules, else not at all.
base_fun(Base0, LP) ->
    fun({M, F, A}) ->
            case esc_probe:describe(M, F) of
                {ok, #{module := Orig}} ->
                    case lists:member(Orig, LP) of true -> [{'_', [], []}]; false -> [] end;
                error -> Base0({M, F, A})
            end
    end.

reapply_base(M, Base) ->
    Fs = try M:module_info(functions) catch _:_ -> [] end,
    [esc_tsess:function({M, F, A}, Ms, [local]) || {F, A} <- Fs, Ms <- [Base({M, F, A})], Ms =/= []],
    ok.

clear_pattern({M, F, A}) ->
    _ = (catch esc_tsess:function({M, F, A}, false, [local])),
    _ = (catch esc_tsess:function({M, F, A}, false, [global])),
    _ = (catch esc_tsess:function({M, F, A}, false, [meta])),   % breakpoint-only sessions
    ok.

%% Runs Fun(BaseFun) inside the engine's controller when it runs, else here with no recording.
with_engine(Fun) ->
    case whereis(esc_trace) of
        undefined -> Fun(fun(_) -> [] end);
        _ ->
            case catch gen_server:call(esc_trace, {esc_bps, Fun}, 60000) of
                {esc_bps_result, R} -> R;
                {esc_bps_failed, {C, E, St}} -> erlang:raise(C, E, St);
                _ -> Fun(fun(_) -> [] end)
            end
    end.

%% ------------------------------------------------------------------ helpers

table() ->
    _ = esc_bp_store:ensure(),
    ?T.

lookup(Key, Default) ->
    case ets:lookup(?T, Key) of
        [{_, V}] -> V;
        [] -> Default
    end.

opts() -> lookup(opts, #{}).

%% The adapter shows breakpoint states; ones that changed on their own (a pending breakpoint whose
%% module loaded, a recompiled module) are sent as AgentMessage.breakpoints_changed.
tell_changed([], _O) -> ok;
tell_changed(States, O) ->
    Msg = #{msg => {breakpoints_changed, #{breakpoints => States}}},
    catch esc_trace_sink:message(#{sink => maps:get(sink, O, esc_conn)}, Msg).

notice(O, Text) ->
    Msg = #{msg => {notice, #{severity => 'WARNING', code => ?NOTICE_LINE_PROBES, message => Text}}},
    catch esc_trace_sink:message(#{sink => maps:get(sink, O, esc_conn)}, Msg).
