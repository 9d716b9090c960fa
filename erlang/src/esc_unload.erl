%% Removes the agent from an attached node once its connection has ended (adapter detach, or the
%% adapter killed): every trace setting, breakpoint, probe, process and table, then every agent module.
%%
%% Why a process of its own: a process cannot purge the module it is running, and the connection
%% runs esc_conn. The remover waits for the connection to be gone, runs the cleanups, unloads every
%% other agent module, deletes this module last and leaves its final purge to a process running
%% only kernel code (code:purge/1), so nothing of ours stays loaded. It needs no other node: when the
%% adapter and its attach helper die together, the closed socket alone is enough.
-module(esc_unload).

-export([start/2, run/2]).

%% How long the cleanups may wait on the connection and the engine before the purges go ahead
%% (a purge kills any agent process still running our code, so the node ends clean regardless).
-define(CONN_EXIT_MS, 5000).

%% Starts the remover for the connection process Conn; Mods are the agent's modules (esc_attach
%% passes the list it loaded). Never raises.
-spec start(pid(), [module()]) -> ok.
start(Conn, Mods) when is_pid(Conn), is_list(Mods) ->
    _ = spawn(?MODULE, run, [Conn, [M || M <- Mods, is_atom(M)]]),
    ok.

-spec run(pid(), [module()]) -> ok.
run(Conn, Mods) ->
    %% Registered while it works, so that a new attach waits for it instead of racing it (esc_attach).
    _ = (catch register(esc_unload, self())),
    _ = (catch esc_tsess:untrace_self()),
    Ref = erlang:monitor(process, Conn),
    receive {'DOWN', Ref, process, Conn, _} -> ok
    after ?CONN_EXIT_MS -> exit(Conn, kill)
    end,
    %% Each step is idempotent: the connection's shutdown already stopped the engine, and the
    %% breakpoint store reacts to the connection's death on its own.
    _ = (catch esc_trace:stop()),
    _ = (catch esc_trace:emergency_stop()),
    _ = (catch esc_bp_set:reset()),
    _ = (catch esc_probe:restore_all()),
    _ = (catch esc_trace_ident:clear_probes()),
    _ = (catch esc_bp_store:stop()),
    Others = [M || M <- Mods, M =/= ?MODULE],
    _ = [unload(M) || M <- Others],
    case lists:member(?MODULE, Mods) of
        true ->
            %% This process keeps running the old code after the delete; the purge (done where no
            %% agent code runs) removes it and kills this process. Waiting for that keeps the name
            %% registered until no agent code is left at all, which a new attach waits for.
            _ = (catch code:purge(?MODULE)),
            _ = (catch code:delete(?MODULE)),
            _ = erlang:spawn(code, purge, [?MODULE]),
            receive after ?CONN_EXIT_MS -> ok end;
        false ->
            ok
    end.

%% Purge twice around delete: the first purge drops an old version, delete makes the current one
%% old, the second removes it and kills any process still running it.
unload(M) ->
    _ = (catch code:purge(M)),
    _ = (catch code:delete(M)),
    _ = (catch code:purge(M)),
    ok.
