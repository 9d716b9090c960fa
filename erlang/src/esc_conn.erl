%% The agent's connection to the debug adapter: one process, registered as esc_conn, that owns the
%% TCP socket ({packet, 4} framing, capped frame size), authenticates with the session token, turns
%% adapter commands into calls on the recording engine (esc_trace) and writes outgoing frames.
%%
%% Safety: the process runs with a bounded heap and an off-heap mailbox; `send/1` refuses frames when
%% its mailbox is over the limit (the drop is counted, never silent); a malformed command frame is
%% reported to the adapter and dropped; when the socket closes everything the agent set is removed.
%% The socket is the one signal that needs no other process: when it drops, a launched node (the
%% session owns it) stops within ?HALT_DEADLINE_MS, and an attached agent removes itself (esc_unload).
-module(esc_conn).

-export([start/3, stop/0, send/1, send_msg/1, dropped/0, flush/1]).
-export([init/4]).

-include("esc_proto.hrl").

-define(FRAME_CAP, 16 * 1024 * 1024).
-define(MAX_MAILBOX, 500).
-define(MAX_HEAP_WORDS, 32 * 1024 * 1024).
-define(CONNECT_TIMEOUT, 5000).
-define(WELCOME_TIMEOUT, 5000).
-define(AGENT_VERSION, <<"0.1.0">>).
%% Notice codes of the connection (the recording engine uses 2000–2099).
-define(NOTICE_MALFORMED_COMMAND, 2100).
-define(NOTICE_UNKNOWN_COMMAND, 2101).
-define(NOTICE_ENGINE_MISSING, 2102).
%% A launched node whose adapter is gone stops gracefully, and halts at this deadline at the latest.
-define(HALT_DEADLINE_MS, 1500).

%% What ending the connection does besides removing the trace settings: `keep` (the default) leaves
%% the agent loaded; `halt` stops the node when the connection is lost (launch: boot sets it);
%% `{remove, Modules}` removes the agent and its modules from the node (attach: esc_attach sets it).
-type on_close() :: keep | halt | {remove, [module()]}.

-record(st, {sock :: gen_tcp:socket(), notify :: pid() | undefined, configured = false :: boolean(),
             on_close = keep :: on_close()}).

-spec start(inet:port_number(), binary(), map()) -> {ok, pid()} | {error, term()}.
start(Port, Token, Options) ->
    case whereis(esc_conn) of
        undefined ->
            Pid = proc_lib:spawn_opt(?MODULE, init, [self(), Port, Token, Options],
                                     [{max_heap_size, #{size => ?MAX_HEAP_WORDS, kill => true, error_logger => true}},
                                      {message_queue_data, off_heap}]),
            Ref = monitor(process, Pid),
            receive
                {Pid, connected} -> demonitor(Ref, [flush]), {ok, Pid};
                {Pid, {failed, Reason}} -> demonitor(Ref, [flush]), {error, Reason};
                {'DOWN', Ref, process, Pid, Reason} -> {error, Reason}
            after ?CONNECT_TIMEOUT + ?WELCOME_TIMEOUT + 1000 ->
                exit(Pid, kill),
                {error, timeout}
            end;
        Pid ->
            {error, {already_connected, Pid}}
    end.

%% Closes the connection; the close removes every trace setting of the agent.
-spec stop() -> ok.
stop() ->
    case whereis(esc_conn) of
        undefined -> ok;
        Pid ->
            Ref = monitor(process, Pid),
            Pid ! esc_stop,
            receive {'DOWN', Ref, process, Pid, _} -> ok after 5000 -> exit(Pid, kill), ok end
    end.

%% Queues an encoded AgentMessage for the adapter. Returns `dropped` (and counts it) when the
%% connection is gone or its mailbox is over the limit, so producers never pile up memory.
-spec send(iodata()) -> ok | dropped.
send(IoData) ->
    case whereis(esc_conn) of
        undefined -> count_drop(), dropped;
        Pid ->
            case erlang:process_info(Pid, message_queue_len) of
                {message_queue_len, N} when N < ?MAX_MAILBOX -> Pid ! {esc_send, IoData}, ok;
                _ -> count_drop(), dropped
            end
    end.

%% Returns once every frame queued before the call has been written to the socket (or Timeout ms).
-spec flush(non_neg_integer()) -> ok | timeout.
flush(Timeout) ->
    case whereis(esc_conn) of
        undefined -> ok;
        Pid ->
            Ref = monitor(process, Pid),
            Pid ! {esc_flush, self(), Ref},
            receive
                {Ref, flushed} -> demonitor(Ref, [flush]), ok;
                {'DOWN', Ref, process, Pid, _} -> ok
            after Timeout -> demonitor(Ref, [flush]), timeout
            end
    end.

%% Encodes and sends an AgentMessage map.
-spec send_msg(map()) -> ok | dropped.
send_msg(Msg) ->
    send(esc_proto:encode_msg(Msg, 'AgentMessage')).

%% Frames refused by send/1 on this connection. The count lives in a table the connection process
%% owns, so it goes with the connection and nothing of it is left in the node.
-spec dropped() -> non_neg_integer().
dropped() ->
    case catch ets:lookup(esc_conn_stats, drops) of
        [{drops, N}] -> N;
        _ -> 0
    end.

count_drop() ->
    _ = (catch ets:update_counter(esc_conn_stats, drops, 1)),
    ok.

%% ---- connection process ----

-spec init(pid(), inet:port_number(), binary(), map()) -> no_return() | ok.
init(Parent, Port, Token, Options) ->
    Opts = [binary, {packet, 4}, {packet_size, ?FRAME_CAP}, {active, once}, {nodelay, true},
            {send_timeout, 30000}, {send_timeout_close, true}],
    case gen_tcp:connect({127, 0, 0, 1}, Port, Opts, ?CONNECT_TIMEOUT) of
        {ok, Sock} ->
            ok = gen_tcp:send(Sock, esc_proto:encode_msg(#{msg => {hello, hello(Token)}}, 'AgentMessage')),
            case await_welcome(Sock) of
                ok ->
                    try register(esc_conn, self()) of
                        true ->
                            _ = ets:new(esc_conn_stats, [named_table, public, set, {write_concurrency, true}]),
                            true = ets:insert(esc_conn_stats, {drops, 0}),
                            Parent ! {self(), connected},
                            loop(#st{sock = Sock, notify = maps:get(notify, Options, undefined),
                                     on_close = on_close(maps:get(on_close, Options, keep))})
                    catch
                        error:badarg -> gen_tcp:close(Sock), Parent ! {self(), {failed, already_connected}}
                    end;
                {error, Reason} ->
                    gen_tcp:close(Sock),
                    Parent ! {self(), {failed, Reason}}
            end;
        {error, Reason} ->
            Parent ! {self(), {failed, Reason}}
    end.

hello(Token) ->
    V = esc_agent:versions(),
    V#{protocol_version => ?ESC_PROTOCOL_VERSION, token => Token,
       node => atom_to_binary(node(), utf8), os_pid => list_to_binary(os:getpid()),
       agent_version => ?AGENT_VERSION}.

%% The adapter answers Hello with Welcome, or closes the socket on a wrong token.
await_welcome(Sock) ->
    receive
        {tcp, Sock, Data} ->
            try esc_proto:decode_msg(Data, 'AdapterMessage') of
                #{msg := {welcome, #{protocol_version := ?ESC_PROTOCOL_VERSION}}} ->
                    inet:setopts(Sock, [{active, once}]), ok;
                #{msg := {welcome, #{protocol_version := Other}}} -> {error, {protocol_version, Other}};
                Other -> {error, {unexpected, Other}}
            catch error:{esc_proto, Reason} -> {error, {malformed_welcome, Reason}}
            end;
        {tcp_closed, Sock} -> {error, rejected};
        {tcp_error, Sock, Reason} -> {error, Reason}
    after ?WELCOME_TIMEOUT ->
        {error, welcome_timeout}
    end.

loop(#st{sock = Sock} = St) ->
    receive
        {esc_send, IoData} ->
            case gen_tcp:send(Sock, IoData) of
                ok -> loop(St);
                {error, Reason} -> shutdown(St, {send_failed, Reason})
            end;
        {tcp, Sock, Data} ->
            inet:setopts(Sock, [{active, once}]),
            loop(handle_frame(Data, St));
        {tcp_closed, Sock} ->
            shutdown(St, closed);
        {tcp_error, Sock, Reason} ->
            %% The socket is closing: the adapter cannot be told, so say it on the node's stderr.
            io:format(standard_error, "[ElixirScope] connection to the debug adapter dropped: ~p~s~n",
                      [Reason, case Reason of emsgsize -> " (frame over the 16 MB cap)"; _ -> "" end]),
            shutdown(St, Reason);
        {esc_flush, From, Ref} ->
            From ! {Ref, flushed},
            loop(St);
        esc_stop ->
            shutdown(St, stopped);
        _Other ->
            loop(St)
    end.

handle_frame(Data, St) ->
    try esc_proto:decode_msg(Data, 'AdapterMessage') of
        #{msg := {command, #{id := Id} = Cmd}} -> handle_command(Id, maps:get(cmd, Cmd, undefined), St);
        Other -> notice('WARNING', ?NOTICE_UNKNOWN_COMMAND, io_lib:format("unexpected adapter message ~0p", [Other])), St
    catch
        error:{esc_proto, Reason} ->
            notice('WARNING', ?NOTICE_MALFORMED_COMMAND,
                   io_lib:format("malformed command frame of ~b bytes dropped: ~0p", [byte_size(Data), Reason])),
            St
    end.

handle_command(Id, {configure, Config}, St) ->
    preload(Config),
    %% esc_bps adds the breakpoint hooks and takes Configure.line_probes.
    reply(Id, engine(configure, [esc_bp_set:engine_config(Config#{sink => self()})])),
    St;
handle_command(Id, {set_breakpoints, Req}, St) ->
    reply(Id, try {breakpoints, esc_bp_set:set_breakpoints(Req)}
              catch C:R -> {error, #{code => 2000, message => format_reason({C, R})}}
              end),
    St;
handle_command(Id, {set_exception_filters, Filters}, St) ->
    reply(Id, esc_bp_set:set_exception_filters(Filters)),
    St;
handle_command(Id, {configuration_done, _}, #st{notify = Notify} = St) ->
    Notify =/= undefined andalso (Notify ! esc_configuration_done),
    reply(Id, {ok, #{}}),
    St#st{configured = true};
handle_command(Id, {stop, _}, St) ->
    reply(Id, engine(stop, [])),
    St;
handle_command(Id, {describe_modules, #{modules := Names}}, St) ->
    Conn = self(),
    spawn(fun() -> reply(Conn, Id, esc_modinfo:describe(Names)) end),
    St;
handle_command(Id, {ping, _}, St) ->
    reply(Id, {ok, #{}}),
    St;
handle_command(Id, {evaluate, #{code := _} = Eval}, St) ->
    %% Evaluation runs in its own process so a slow expression never stalls the connection.
    Conn = self(),
    spawn(fun() -> reply(Conn, Id, esc_eval:request(Eval)) end),
    St;
handle_command(Id, Other, St) ->
    reply(Id, {error, #{code => ?NOTICE_UNKNOWN_COMMAND,
                        message => iolist_to_binary(io_lib:format("unknown command ~0p", [Other]))}}),
    St.

%% At launch the agent runs before Mix has put the project on the code path, and Elixir loads modules
%% on first call: without this, a module's first calls would run before its trace patterns exist.
%% Protocols are left alone: Mix loads their consolidated versions from another folder later.
preload(#{code_paths := [_ | _] = Paths} = Config) ->
    ok = code:add_pathsa([unicode:characters_to_list(P) || P <- Paths]),
    [code:ensure_loaded(M) || Name <- maps:get(modules, Config, []),
                              M <- [binary_to_atom(Name, utf8)],
                              not is_protocol(M)],
    ok;
preload(_) ->
    ok.

is_protocol(M) ->
    case code:which(M) of
        File when is_list(File) ->
            case beam_lib:chunks(File, [attributes]) of
                {ok, {_, [{attributes, Attrs}]}} -> lists:keymember('__protocol__', 1, Attrs);
                _ -> false
            end;
        _ -> false
    end.

%% Calls the recording engine, turning its absence or failure into an error reply.
engine(Fun, Args) ->
    case code:ensure_loaded(esc_trace) of
        {module, esc_trace} ->
            try apply(esc_trace, Fun, Args) of
                ok -> {ok, #{}};
                {ok, Info} when is_map(Info) -> {configured, maps:with([modules, not_loaded], Info)};
                {ok, _} -> {ok, #{}};
                {error, Reason} -> {error, #{code => 2000, message => format_reason(Reason)}}
            catch
                Class:Reason -> {error, #{code => 2000, message => format_reason({Class, Reason})}}
            end;
        _ ->
            {error, #{code => ?NOTICE_ENGINE_MISSING, message => <<"the recording engine (esc_trace) is not loaded">>}}
    end.

reply(Id, Result) ->
    reply(self(), Id, Result).

reply(Conn, Id, Result) ->
    Conn ! {esc_send, esc_proto:encode_msg(#{msg => {reply, #{id => Id, result => Result}}}, 'AgentMessage')}.

notice(Severity, Code, Message) ->
    self() ! {esc_send, esc_proto:encode_msg(#{msg => {notice, #{severity => Severity, code => Code,
                                                                 message => iolist_to_binary(Message)}}},
                                             'AgentMessage')}.

format_reason(Reason) when is_binary(Reason) -> Reason;
format_reason(Reason) -> iolist_to_binary(io_lib:format("~0p", [Reason])).

%% Connection gone: remove every trace setting, wake a boot still waiting, and exit. A launched node
%% that lost its adapter stops (not on a deliberate stop/0); an attached agent removes itself.
shutdown(#st{sock = Sock, notify = Notify, configured = Configured, on_close = OnClose}, Reason) ->
    OnClose =:= halt andalso Reason =/= stopped andalso stop_node(Reason),
    catch esc_trace:stop(),
    catch gen_tcp:close(Sock),
    (not Configured andalso Notify =/= undefined) andalso (Notify ! {esc_connection_failed, Reason}),
    case OnClose of
        {remove, Mods} -> esc_unload:start(self(), Mods);
        _ -> ok
    end.

on_close(halt) -> halt;
on_close({remove, Mods}) when is_list(Mods) -> {remove, Mods};
on_close(_) -> keep.

%% The session owns a launched node: without its adapter nobody could see or stop it. Applications
%% get a graceful stop; a halt at the deadline covers one that does not finish in time.
stop_node(Reason) ->
    catch io:format(standard_error, "[ElixirScope] the debug adapter is gone (~0p): stopping the node~n", [Reason]),
    _ = spawn(fun() -> timer:sleep(?HALT_DEADLINE_MS), erlang:halt(1) end),
    ok = init:stop(1),
    true.
