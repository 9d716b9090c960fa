%% Owner of the breakpoint machinery's ETS tables, and the safety net of line probes.
%%
%% Why a process: the caches (beam index by source path, debug-info forms, clause tables) and the
%% probe registry must outlive the short-lived processes that call esc_bp_resolve, esc_bp_bind and
%% esc_probe (the connection, the encoders, tests), and ETS tables die with their owner. This tiny
%% process is started on first use, is never traced, and owns them:
%%   esc_bp_index   {BeamPath, {MTime, Size}, Module, Source}     beam files by path (source lookup)
%%   esc_bp_forms   {{Module, Key}, Info}                          debug-info forms and clause tables
%%   esc_probe_mods {Module, Info}                                 instrumented modules (originals)
%%   esc_probe_ids  {{StubModule, Function}, Probe}                one row per line probe
%%   esc_bp_set        the session's breakpoint set (see esc_bp_set)
%%   esc_inmem      object code of modules compiled in memory from .exs files (see esc_inmem)
%% It also monitors the owners that esc_probe:instrument/2 registers: when an owner (the agent's
%% connection) dies, every instrumented module is restored here, so no probe outlives the session.
-module(esc_bp_store).

-export([ensure/0, watch/1, stop/0, init/1]).

-define(TABLES, [esc_bp_index, esc_bp_forms, esc_probe_mods, esc_probe_ids, esc_bp_set, esc_inmem]).

%% Starts the owner if needed; returns its pid. Safe to call concurrently.
-spec ensure() -> pid().
ensure() ->
    case whereis(esc_bp_store) of
        Pid when is_pid(Pid) -> Pid;
        undefined ->
            Parent = self(),
            {Pid, Ref} = spawn_monitor(?MODULE, init, [Parent]),
            receive
                {esc_bp_store_ready, Pid} -> demonitor(Ref, [flush]), Pid;
                {'DOWN', Ref, process, Pid, _} ->
                    %% Lost a registration race: the winner is registered now.
                    case whereis(esc_bp_store) of
                        P when is_pid(P) -> P;
                        undefined -> error(esc_bp_store_failed)
                    end
            end
    end.

%% Restores every instrumented module when Owner exits (registered once per owner).
-spec watch(pid()) -> ok.
watch(Owner) when is_pid(Owner) ->
    ensure() ! {watch, Owner},
    ok.

%% Stops the owner (tables are dropped). Used by tests; probes must be restored first.
-spec stop() -> ok.
stop() ->
    case whereis(esc_bp_store) of
        undefined -> ok;
        Pid ->
            Ref = monitor(process, Pid),
            Pid ! stop,
            receive {'DOWN', Ref, process, Pid, _} -> ok after 5000 -> ok end
    end.

-spec init(pid()) -> ok.
init(Parent) ->
    ok = esc_tsess:untrace_self(),
    try register(esc_bp_store, self()) of
        true ->
            [ets:new(T, [named_table, public, set, {read_concurrency, true}]) || T <- ?TABLES],
            Parent ! {esc_bp_store_ready, self()},
            loop(#{})
    catch
        error:badarg -> ok
    end.

loop(Watched) ->
    receive
        {watch, Owner} ->
            case maps:is_key(Owner, Watched) of
                true -> loop(Watched);
                false -> loop(Watched#{Owner => monitor(process, Owner)})
            end;
        {'DOWN', _, process, Owner, _} when is_map_key(Owner, Watched) ->
            %% The session is over: its breakpoints (patterns and set) go, then the probes
            %% (not when Owner is not the owner of the breakpoint session in force).
            case catch esc_bp_set:session_down(Owner) of
                skip -> ok;
                _ -> _ = (catch esc_probe:restore_all())
            end,
            loop(maps:remove(Owner, Watched));
        stop ->
            ok;
        _ ->
            loop(Watched)
    end.
