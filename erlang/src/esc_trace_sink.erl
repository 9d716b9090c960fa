%% Where encoded AgentMessages go: the connection process (esc_conn) in production, a pid or a fun
%% in tests and benchmarks. A pid sink with a long mailbox refuses the message (the caller counts
%% it as dropped), so a slow socket never makes the agent pile up memory.
-module(esc_trace_sink).

-export([send/2, notice/4, message/2]).

-define(DEFAULT_MAX_QUEUE, 256).

-type sink() :: pid() | atom() | fun((binary()) -> term()).
-export_type([sink/0]).

%% Ctx holds sink (default esc_conn) and optionally max_sink_queue.
-spec send(map(), iodata()) -> ok | dropped.
send(Ctx, IoData) ->
    case maps:get(sink, Ctx, esc_conn) of
        Fun when is_function(Fun, 1) ->
            try Fun(IoData) of _ -> ok catch _:_ -> dropped end;
        Name when is_atom(Name) ->
            case whereis(Name) of
                undefined -> dropped;
                Pid -> send_pid(Pid, IoData, Ctx)
            end;
        Pid when is_pid(Pid) ->
            send_pid(Pid, IoData, Ctx)
    end.

send_pid(Pid, IoData, Ctx) ->
    Max = maps:get(max_sink_queue, Ctx, ?DEFAULT_MAX_QUEUE),
    case erlang:process_info(Pid, message_queue_len) of
        {message_queue_len, N} when N < Max -> Pid ! {esc_send, IoData}, ok;
        _ when node(Pid) =/= node() -> Pid ! {esc_send, IoData}, ok;
        _ -> dropped
    end.

%% Sends AgentMessage{notice}.
-spec notice(map(), 'INFO' | 'WARNING' | 'ERROR', 2000..2099, iodata()) -> ok | dropped.
notice(Ctx, Severity, Code, Message) ->
    message(Ctx, #{msg => {notice, #{severity => Severity, code => Code,
                                     message => unicode:characters_to_binary(Message)}}}).

%% Encodes and sends any AgentMessage map.
-spec message(map(), map()) -> ok | dropped.
message(Ctx, Msg) ->
    send(Ctx, iolist_to_binary(esc_proto:encode_msg(Msg, 'AgentMessage'))).
