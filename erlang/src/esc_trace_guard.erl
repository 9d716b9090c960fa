%% The recording engine's guard (registered as esc_trace_guard): a small unlinked process that undoes
%% every trace setting when the controller (esc_trace_ctl) cannot, and carries out emergency stops.
%%
%% It undoes everything if the controller dies without doing so itself (killed, heap limit) or does
%% not react to the owner's death within 500 ms. cleanup/3 is also how the controller undoes it all.
-module(esc_trace_guard).

-export([start/3, init/3, update/5, done/1, cleanup/3]).

%% Starts the guard of controller Ctl, which works for the connection Owner (Ctx: the engine's, for
%% its sink).
-spec start(pid(), pid(), map()) -> pid().
start(Ctl, Owner, Ctx) ->
    spawn(?MODULE, init, [Ctl, Owner, Ctx]).

%% What the guard undoes if the controller cannot: the tracer's, the trace session's, the planned
%% modules' and the trace control word's settings.
-spec update(pid(), pid(), esc_tsess:handle(), [module()], non_neg_integer()) -> ok.
update(Guard, Tracer, TSess, Mods, Tcw0) ->
    Guard ! {esc_guard_state, Tracer, TSess, Mods, Tcw0},
    ok.

%% Called by the controller once it undid everything itself: the guard ends.
-spec done(pid()) -> ok.
done(Guard) ->
    Guard ! {esc_guard_done, self()},
    ok.

-spec init(pid(), pid(), map()) -> ok.
init(Ctl, Owner, Ctx) ->
    ok = esc_tsess:untrace_self(),
    catch register(esc_trace_guard, self()),
    process_flag(message_queue_data, off_heap),
    erlang:monitor(process, Ctl),
    erlang:monitor(process, Owner),
    loop(Ctl, Owner, Ctx, {undefined, undefined, [], erlang:system_info(trace_control_word)}).

loop(Ctl, Owner, Ctx, {T, TSess, Mods, Tcw0} = St) ->
    receive
        {esc_guard_state, T2, TSess2, Mods2, Tcw2} ->
            loop(Ctl, Owner, Ctx, {T2, TSess2, Mods2, Tcw2});
        {esc_guard_done, Ctl} ->
            ok;
        {'DOWN', _, process, Ctl, _} ->
            T =/= undefined andalso cleanup(TSess, Mods, Tcw0),
            ok;
        {'DOWN', _, process, Owner, _} ->
            receive
                {'DOWN', _, process, Ctl, _} -> ok;
                {esc_guard_done, Ctl} -> ok
            after 500 ->
                exit(Ctl, kill),
                T =/= undefined andalso kill_agents(T),
                T =/= undefined andalso cleanup(TSess, Mods, Tcw0)
            end,
            ok;
        {esc_emergency_stop, From} ->
            exit(Ctl, kill),
            T =/= undefined andalso cleanup(TSess, Mods, Tcw0),
            _ = esc_trace_sink:notice(Ctx, 'WARNING', 2009,
                                      "Emergency stop: all recording was removed from the node."),
            From ! {esc_emergency_stopped, self()},
            ok;
        _ ->
            loop(Ctl, Owner, Ctx, St)
    end.

kill_agents(Tracer) ->
    exit(Tracer, kill).

%% Removes every flag and pattern this engine set. Safe to run twice and from any process.
%% Legacy tracing: process flags first (events stop at once), then our patterns one by one. In a
%% session: patterns are removed inside it (never touching another tool's patterns on the same
%% functions), then destroying the session drops everything else.
-spec cleanup(esc_tsess:handle(), [module()], non_neg_integer()) -> ok.
cleanup({legacy, _} = TSess, Mods, Tcw0) ->
    esc_tsess:close(TSess),
    clear_patterns(Mods),
    restore(Tcw0);
cleanup(TSess, Mods, Tcw0) ->
    %% A second run after the session is destroyed must not touch patterns: they would be the
    %% legacy ones, i.e. another tool's.
    esc_tsess:is_open(TSess) andalso clear_patterns(Mods),
    restore(Tcw0),
    esc_tsess:close(TSess).

clear_patterns(Mods) ->
    [esc_trace_plan:clear_module(M) || M <- Mods],
    %% Breakpoint patterns (also on functions outside the plan).
    _ = (catch esc_bp_set:cleanup()),
    _ = (catch esc_trace_ident:clear_probes()),
    true.

%% What is not a trace setting: the line-probed modules' original code, the trace control word.
restore(Tcw0) ->
    _ = (catch esc_probe:restore_all()),
    erlang:system_flag(trace_control_word, Tcw0),
    ok.
