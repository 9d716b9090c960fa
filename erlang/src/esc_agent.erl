%% Entry points of the ElixirScope agent: boot inside a launched node, or start on an attached one.
%%
%% Launch: the adapter runs the node with ERL_AFLAGS="-pa <agent ebin> -s esc_agent boot" and the
%% session's port and token in the environment. `boot/0` runs in init's start sequence, before Elixir
%% and the user's applications start: it connects to the adapter, authenticates, and waits (bounded)
%% for the adapter's ConfigurationDone, so breakpoints in init/1 or Application.start/2 are in place
%% before that code runs. If the adapter cannot be reached the node boots normally, untouched.
%%
%% Attach: the adapter loads these modules over distribution and calls `start/3` by RPC; when the
%% connection ends (detach, or the adapter gone) the agent removes itself and its modules (esc_unload).
%%
%% Why this is safe: nothing here runs in user processes; the connection process has a bounded heap
%% and an off-heap mailbox; the environment variables are removed at boot so child OS processes
%% started by the user's code do not connect too.
-module(esc_agent).

-export([boot/0, start/3, stop/0, versions/0, flush/1]).

-define(DEFAULT_WAIT_MS, 30000).

%% Called by `-s esc_agent boot`. Never raises: a debugger that cannot connect must not stop the node.
-spec boot() -> ok.
boot() ->
    load_own_modules(),
    Port = os:getenv("ELIXIR_SCOPE_PORT"),
    Token = os:getenv("ELIXIR_SCOPE_TOKEN"),
    Wait = list_to_integer_or(os:getenv("ELIXIR_SCOPE_WAIT_MS"), ?DEFAULT_WAIT_MS),
    restore_environment(),
    case {Port, Token} of
        {false, _} -> warn("ELIXIR_SCOPE_PORT is not set; the agent is not started", []);
        {_, false} -> warn("ELIXIR_SCOPE_TOKEN is not set; the agent is not started", []);
        _ ->
            %% The session owns this node: it stops when the adapter is gone (esc_conn).
            try start(list_to_integer(Port), list_to_binary(Token), #{notify => self(), on_close => halt}) of
                {ok, _Pid} ->
                    wait_for_configuration(Wait),
                    flush_at_exit(),
                    %% Test files and scripts compile in memory: keep their modules' debug info.
                    esc_inmem:install();
                {error, Reason} -> warn("could not connect to the debug adapter: ~p", [Reason])
            catch
                Class:Reason -> warn("agent boot failed: ~p:~p", [Class, Reason])
            end
    end,
    ok.

%% Loads every agent module now. Mix (Elixir >= 1.15) prunes the code path to the project's own
%% dependencies when it starts the project, which removes the `-pa` our modules came from; a module
%% first needed after that would be undefined in the middle of a session.
load_own_modules() ->
    Dir = filename:dirname(code:which(?MODULE)),
    Mods = [list_to_atom(filename:basename(F, ".beam")) || F <- filelib:wildcard(filename:join(Dir, "esc_*.beam"))],
    _ = [code:ensure_loaded(M) || M <- Mods],
    ok.

%% Starts the connection process, which connects to the adapter on 127.0.0.1:Port and authenticates.
%% Options: notify => pid() receives `esc_configuration_done` once the adapter says so;
%% on_close => halt | {remove, Modules} | keep: what the end of the connection does (see esc_conn).
-spec start(inet:port_number(), binary(), map()) -> {ok, pid()} | {error, term()}.
start(Port, Token, Options) ->
    esc_conn:start(Port, Token, Options).

%% Removes everything the agent set up and closes the connection.
-spec stop() -> ok.
stop() ->
    esc_conn:stop().

%% Versions reported in Hello. Elixir's version is read from its .app file: at boot Elixir is not loaded.
-spec versions() -> #{otp_release := binary(), erts_version := binary(), elixir_version := binary()}.
versions() ->
    Elixir = case code:where_is_file("elixir.app") of
                 non_existing -> <<>>;
                 File ->
                     case file:consult(File) of
                         {ok, [{application, elixir, Props}]} ->
                             list_to_binary(proplists:get_value(vsn, Props, ""));
                         _ -> <<>>
                     end
             end,
    #{otp_release => list_to_binary(erlang:system_info(otp_release)),
      erts_version => list_to_binary(erlang:system_info(version)),
      elixir_version => Elixir}.

%% Delivers everything recorded so far to the adapter, bounded by Timeout ms in total.
-spec flush(non_neg_integer()) -> ok.
flush(Timeout) ->
    Deadline = erlang:monotonic_time(millisecond) + Timeout,
    Left = fun() -> max(0, Deadline - erlang:monotonic_time(millisecond)) end,
    case erlang:function_exported(esc_trace, flush, 1) of
        true -> catch esc_trace:flush(Left());
        false -> ok
    end,
    esc_conn:flush(Left()).

%% When the program ends normally (or by an uncaught raise) the Elixir CLI halts the node right after
%% running System.at_exit callbacks: register one that flushes the last events, so the recording
%% the session keeps after the exit is complete. Elixir starts after the agent boots, so a short-lived
%% watcher waits for it. (An explicit System.halt/1 skips at_exit; then only what was already sent is kept.)
flush_at_exit() ->
    spawn(fun() -> register_at_exit(600) end),
    ok.

register_at_exit(0) -> ok;
register_at_exit(Tries) ->
    Started = lists:keymember(elixir, 1, application:which_applications()),
    case Started andalso erlang:function_exported('Elixir.System', at_exit, 1) of
        true -> 'Elixir.System':at_exit(fun(_Status) -> flush(2000) end);
        false -> timer:sleep(100), register_at_exit(Tries - 1)
    end.

wait_for_configuration(Wait) ->
    receive
        esc_configuration_done -> ok;
        {esc_connection_failed, Reason} -> warn("the debug adapter rejected the agent: ~p", [Reason])
    after Wait ->
        warn("no configuration from the debug adapter within ~b ms; continuing without breakpoints", [Wait])
    end.

%% The adapter passes the user's own ERL_AFLAGS in ELIXIR_SCOPE_USER_ERL_AFLAGS; put it back so
%% BEAMs started by the user's code do not load the agent.
restore_environment() ->
    case os:getenv("ELIXIR_SCOPE_USER_ERL_AFLAGS") of
        false -> os:unsetenv("ERL_AFLAGS");
        "" -> os:unsetenv("ERL_AFLAGS");
        User -> os:putenv("ERL_AFLAGS", User)
    end,
    [os:unsetenv(V) || V <- ["ELIXIR_SCOPE_PORT", "ELIXIR_SCOPE_TOKEN", "ELIXIR_SCOPE_WAIT_MS",
                             "ELIXIR_SCOPE_USER_ERL_AFLAGS"]],
    ok.

list_to_integer_or(false, Default) -> Default;
list_to_integer_or(S, Default) ->
    try list_to_integer(S) catch error:badarg -> Default end.

warn(Format, Args) ->
    io:format(standard_error, "[ElixirScope] " ++ Format ++ "~n", Args).
