%% Attach helper: runs in a short-lived hidden node started by the adapter (never inside the target).
%% It connects to the target node over distribution, loads the agent's modules there with
%% code:load_binary (no file needs to exist on the target), starts the agent, then waits on stdin.
%% "stop" (or stdin closing because the adapter died) makes it stop the agent, which then removes
%% itself and every agent module from the target (esc_unload), leaving the node exactly as it was.
%% The agent does that on its own when its connection drops, so it needs this helper for nothing
%% once started: if the helper dies with the adapter, the target still ends clean.
%%
%% Protocol on stdout, one line each: "ok <otp> <own apps comma-separated>", "error <code> <message>",
%% "detached". Environment: ESC_TARGET, ESC_PORT, ESC_TOKEN.
-module(esc_attach).

-export([main/0, agent_modules/0]).

-define(RPC_TIMEOUT, 15000).
%% How long the agent gets to remove itself after a detach before the helper unloads what is left.
-define(REMOVAL_WAIT_MS, 5000).
%% Error codes (adapter/errors.ts, 1100 range).
-define(E_UNREACHABLE, 1110).
-define(E_COOKIE, 1111).
-define(E_LOAD, 1112).
-define(E_START, 1113).

-spec main() -> no_return().
main() ->
    Target = list_to_atom(os:getenv("ESC_TARGET")),
    Port = list_to_integer(os:getenv("ESC_PORT")),
    Token = list_to_binary(os:getenv("ESC_TOKEN")),
    case net_kernel:connect_node(Target) of
        true ->
            attach(Target, Port, Token);
        _ ->
            fail(connect_error_code(Target), connect_error(Target))
    end.

%% The agent modules to load into the target: everything in our ebin except this helper.
-spec agent_modules() -> [module()].
agent_modules() ->
    Ebin = filename:dirname(code:which(?MODULE)),
    [list_to_atom(filename:basename(F, ".beam"))
     || F <- filelib:wildcard(filename:join(Ebin, "esc_*.beam")),
        filename:basename(F, ".beam") =/= atom_to_list(?MODULE)].

attach(Target, Port, Token) ->
    Mods = agent_modules(),
    await_previous_removal(Target, ?REMOVAL_WAIT_MS div 100),
    Loaded = [{M, load(Target, M)} || M <- Mods],
    case [{M, R} || {M, R} <- Loaded, R =/= ok] of
        [] -> ok;
        Failed -> unload(Target, Mods), fail(?E_LOAD, io_lib:format("could not load the agent into ~s: ~0p", [Target, Failed]))
    end,
    case rpc:call(Target, esc_agent, start, [Port, Token, #{on_close => {remove, Mods}}], ?RPC_TIMEOUT) of
        {ok, _Pid} ->
            Otp = rpc:call(Target, erlang, system_info, [otp_release], ?RPC_TIMEOUT),
            io:format("ok ~s ~s~n", [Otp, lists:join(",", own_apps(Target))]),
            wait_for_stop(Target, Mods);
        Other ->
            unload(Target, Mods),
            fail(?E_START, io_lib:format("the agent did not start on ~s: ~0p", [Target, Other]))
    end.

%% A previous session's agent may still be removing itself (esc_unload): loading now would race it.
await_previous_removal(_Target, 0) -> ok;
await_previous_removal(Target, Tries) ->
    case rpc:call(Target, erlang, whereis, [esc_unload], ?RPC_TIMEOUT) of
        Pid when is_pid(Pid) -> timer:sleep(100), await_previous_removal(Target, Tries - 1);
        _ -> ok
    end.

load(Target, M) ->
    case code:get_object_code(M) of
        {M, Bin, File} ->
            case rpc:call(Target, code, load_binary, [M, File, Bin], ?RPC_TIMEOUT) of
                {module, M} -> ok;
                Error -> Error
            end;
        error -> {error, no_object_code}
    end.

%% The project's own applications on the target: Mix's view when Mix runs there (iex -S mix),
%% otherwise every loaded application that is neither OTP's nor Elixir's.
own_apps(Target) ->
    case rpc:call(Target, 'Elixir.Mix.Project', config, [], ?RPC_TIMEOUT) of
        Config when is_list(Config) ->
            case proplists:get_value(apps_path, Config) of
                undefined -> [atom_to_list(proplists:get_value(app, Config))];
                _ -> [atom_to_list(A) || A <- maps:keys(rpc:call(Target, 'Elixir.Mix.Project', apps_paths, [], ?RPC_TIMEOUT))]
            end;
        _ ->
            Root = rpc:call(Target, code, root_dir, [], ?RPC_TIMEOUT),
            ElixirLib = filename:dirname(filename:dirname(rpc:call(Target, code, lib_dir, [elixir], ?RPC_TIMEOUT))),
            [atom_to_list(A) || {A, _, _} <- rpc:call(Target, application, loaded_applications, [], ?RPC_TIMEOUT),
                                not under(rpc:call(Target, code, lib_dir, [A], ?RPC_TIMEOUT), [Root, ElixirLib])]
    end.

under({error, _}, _) -> true;
under(Dir, Roots) -> lists:any(fun(R) -> is_list(R) andalso lists:prefix(R, Dir) end, Roots).

wait_for_stop(Target, Mods) ->
    case io:get_line("") of
        "stop" ++ _ -> detach(Target, Mods);
        eof -> detach(Target, Mods);
        {error, _} -> detach(Target, Mods);
        _ -> wait_for_stop(Target, Mods)
    end.

%% The same removal as when the connection drops: stopping the agent starts it on the target. The
%% helper only waits for it (bounded) and unloads what an older or stuck agent left.
detach(Target, Mods) ->
    rpc:call(Target, esc_agent, stop, [], ?RPC_TIMEOUT),
    case await_removed(Target, Mods, ?REMOVAL_WAIT_MS div 100) of
        [] -> ok;
        Left -> unload(Target, Left)
    end,
    io:format("detached~n"),
    halt(0).

await_removed(Target, Mods, Tries) ->
    case rpc:call(Target, lists, filter, [fun erlang:module_loaded/1, Mods], ?RPC_TIMEOUT) of
        Left when is_list(Left), Left =/= [], Tries > 0 -> timer:sleep(100), await_removed(Target, Left, Tries - 1);
        Left when is_list(Left) -> Left;
        _ -> Mods
    end.

%% Purge twice around delete: the first purge drops an old version, delete makes the current one
%% old, the second purge removes it (agent processes are already gone after esc_agent:stop/0).
unload(Target, Mods) ->
    [begin
         rpc:call(Target, code, purge, [M], ?RPC_TIMEOUT),
         rpc:call(Target, code, delete, [M], ?RPC_TIMEOUT),
         rpc:call(Target, code, purge, [M], ?RPC_TIMEOUT)
     end || M <- Mods],
    ok.

connect_error_code(Target) ->
    case registered_in_epmd(Target) of
        true -> ?E_COOKIE;
        false -> ?E_UNREACHABLE
    end.

connect_error(Target) ->
    case registered_in_epmd(Target) of
        true -> io_lib:format("node ~s is running but refused the connection: the cookie is probably wrong", [Target]);
        false -> io_lib:format("node ~s is not reachable: is it running, started with --sname/--name, on this host?", [Target])
    end.

registered_in_epmd(Target) ->
    [Name, Host] = string:split(atom_to_list(Target), "@"),
    case net_adm:names(Host) of
        {ok, Names} -> lists:keymember(Name, 1, Names);
        _ -> false
    end.

fail(Code, Message) ->
    io:format("error ~b ~s~n", [Code, Message]),
    halt(2).
