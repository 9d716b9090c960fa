%% Encoder: one raw trace message becomes the events it stands for (CALL with a breakpoint hit's
%% fields, RETURN, EXCEPTION, SEND, RECEIVE, SPAWN, EXIT, LINK/UNLINK, LINE from a probe stub),
%% added to the batch being assembled (esc_trace_batch). Runs in the encoder process only.
-module(esc_trace_events).

-export([event/3]).

-include("esc_proto.hrl").

%% The batch accumulator's operations.
-import(esc_trace_batch, [add/9, add/10, count/2, other/2, exact/3, logs/4]).

%% Capture budget (nodes) of a repeated call's arguments (repeat_limits/4).
-define(REPEAT_BUDGET, 64).

%% Adds the events of one trace message (its timestamp already {Mono, Uniq}) to batch B.
-spec event(tuple(), map(), esc_trace_batch:batch()) -> esc_trace_batch:batch().
event({trace_ts, Pid, call, {'Elixir.ExUnit.Runner', _, Args}, Ts}, #{ident_probes := true} = Ctx, B) ->
    esc_trace_announce:test_probe(Pid, Args, Ts, Ctx, B);
event({trace_ts, Pid, call, {M, F, Args} = Call, Ts} = Msg, Ctx, B) ->
    case stub(M) of
        false -> call_event(Pid, Call, Ts, {M, F, length(Args)}, none, Ctx, B);
        true -> line_event(Msg, none, Ctx, B)
    end;
event({trace_ts, Pid, call, {M, F, Args} = Call, _Tag, Ts} = Msg, Ctx, B) ->
    %% A call tagged by a breakpoint's match spec (esc_bp): the hit_fun of the engine's config
    %% decides which breakpoints it hit (#{hits, logs, clause, line, bindings}), or `skip` when
    %% nothing passed and the function is not recorded otherwise.
    Hit = case maps:get(hit_fun, Ctx, undefined) of
              undefined -> none;
              HitFun -> try HitFun(Msg) catch _:_ -> none end
          end,
    case Hit of
        skip -> B;
        _ ->
            B2 = case stub(M) of
                     false -> exact(Hit, B, call_event(Pid, Call, Ts, {M, F, length(Args)}, Hit, Ctx,
                                                       esc_trace_state:observed_state(Pid, Call, Hit, Ts, Ctx, B)));
                     true -> line_event(Msg, Hit, Ctx, B)
                 end,
            logs(Pid, Hit, B, B2)
    end;
event({trace_ts, Pid, return_from, {M, _, _} = MFA, Value, Ts}, Ctx, B) ->
    case stub(M) of true -> B; false -> return_event(Pid, MFA, Value, Ts, Ctx, B) end;
event({trace_ts, Pid, exception_from, {M, _, _} = MFA, {Class, Reason}, Ts}, Ctx, B) ->
    case stub(M) of
        true -> B;
        false -> exception_event(Pid, MFA, Class, Reason, Ts, Ctx, B)
    end;
event({trace_ts, Pid, Send, Msg, To, Ts}, Ctx, B) when Send =:= send; Send =:= send_to_non_existing_process ->
    send_event(Pid, Send, Msg, To, Ts, Ctx, B);
event(Other, Ctx, B) ->
    other_event(Other, Ctx, B).

return_event(Pid, MFA, Value, Ts, Ctx, B) ->
    B1 = esc_trace_announce:announce(Pid, Ts, Ctx, B),
    {V, VSz} = esc_trace_enc:term_io(Value, limits(Ctx)),
    {Ret, RSz} = esc_trace_enc:field_io(?ESC_F_ReturnEvent_value, V, VSz),
    B2 = add(Pid, Ts, ?ESC_E_EventKind_RETURN, MFA, body(?ESC_F_EventBody_return, Ret, RSz), 0, 0, 0, count(MFA, B1)),
    esc_trace_state:callback_return(Pid, MFA, Value, Ts, Ctx, B2).

%% The `raised` exception filter marks the frame an exception leaves first; the same exception
%% then leaving the traced callers (no call in between) is not marked again.
exception_event(Pid, MFA, Class, Reason, Ts, Ctx, B) ->
    B1 = esc_trace_announce:announce(Pid, Ts, Ctx, B),
    esc_trace_state:callback_abort(Pid, MFA, Ctx),
    L = limits(Ctx),
    {C, CSz} = esc_trace_enc:field_io(?ESC_F_ExceptionEvent_class, atom_to_binary(Class, utf8),
                                      byte_size(atom_to_binary(Class, utf8))),
    {R0, R0Sz} = esc_trace_enc:term_io(Reason, L),
    {R, RSz} = esc_trace_enc:field_io(?ESC_F_ExceptionEvent_reason, R0, R0Sz),
    Same = get({esc_exc, Pid}) =:= {Class, Reason},
    put({esc_exc, Pid}, {Class, Reason}),
    Mark = case not Same andalso filter(raised, Ctx) of true -> ?ESC_HIT_RAISED; false -> 0 end,
    add(Pid, Ts, ?ESC_E_EventKind_EXCEPTION, MFA, marked(body(?ESC_F_EventBody_exception, [C | R], CSz + RSz), Mark),
        0, 0, 0, Mark, count(MFA, B1)).

send_event(Pid, Send, Msg, To, Ts, Ctx, B) ->
    case agent(To, Ctx) of
        true -> B;
        false ->
            B1 = esc_trace_announce:announce(Pid, Ts, Ctx, B),
            ToPid = case To of
                        _ when is_pid(To) -> To;
                        _ when is_atom(To) -> whereis(To);
                        _ -> undefined
                    end,
            {B2, Other} = other(ToPid, B1),
            {M0, M0Sz} = esc_trace_enc:term_io(Msg, limits(Ctx)),
            {Mf, MSz} = esc_trace_enc:field_io(?ESC_F_SendEvent_message, M0, M0Sz),
            ToF = esc_trace_enc:field_bytes(?ESC_F_SendEvent_to, dest(To)),
            Dead = case Send of send -> <<>>; _ -> <<(?ESC_TAG_VARINT(?ESC_F_SendEvent_to_dead)), 1>> end,
            Body = body(?ESC_F_EventBody_send, [ToF, Mf | Dead], byte_size(ToF) + MSz + byte_size(Dead)),
            add(Pid, Ts, ?ESC_E_EventKind_SEND, none, Body, Other, hash(Msg), call_tag(Msg), B2)
    end.

other_event({trace_ts, Pid, 'receive', Msg, Ts}, Ctx, B) ->
    case from_agent(Msg, Ctx) of
        true -> B;
        false ->
            B1 = esc_trace_announce:announce(Pid, Ts, {'receive', Msg}, Ctx, B),
            {M0, M0Sz} = esc_trace_enc:term_io(Msg, limits(Ctx)),
            {Mf, MSz} = esc_trace_enc:field_io(?ESC_F_ReceiveEvent_message, M0, M0Sz),
            add(Pid, Ts, ?ESC_E_EventKind_RECEIVE, none, body(?ESC_F_EventBody_receive, Mf, MSz), 0, hash(Msg), 0, B1)
    end;
other_event({trace_ts, Pid, spawn, Child, {M, F, Args}, Ts}, Ctx, B) ->
    B1 = esc_trace_announce:announce(Pid, Ts, Ctx, B),
    {B2, Other} = other(Child, B1),
    C = esc_trace_enc:field_bytes(?ESC_F_SpawnEvent_child, list_to_binary(pid_to_list(Child))),
    E = esc_trace_enc:field_bytes(?ESC_F_SpawnEvent_entry, esc_trace_enc:mfa(M, F, length(Args))),
    {A, ASz} = esc_trace_enc:terms(?ESC_F_SpawnEvent_args, Args, limits(Ctx)),
    Body = body(?ESC_F_EventBody_spawn, [C, E | A], byte_size(C) + byte_size(E) + ASz),
    add(Pid, Ts, ?ESC_E_EventKind_SPAWN, none, Body, Other, 0, 0, B2);
other_event({trace_ts, Pid, exit, Reason, Ts}, Ctx, B) ->
    B1 = esc_trace_announce:announce(Pid, Ts, Ctx, B),
    {R0, R0Sz} = esc_trace_enc:term_io(Reason, limits(Ctx)),
    {R, RSz} = esc_trace_enc:field_io(?ESC_F_ExitEvent_reason, R0, R0Sz),
    esc_trace_state:forget(Pid),
    erase({esc_lc, Pid}),
    erase({esc_exc, Pid}),
    esc_trace_announce:forget(Pid),
    %% The `crashes` filter: an abnormal exit of a process that ran traced code (only those
    %% processes get the procs flag).
    Mark = case abnormal(Reason) andalso filter(crashes, Ctx) of true -> ?ESC_HIT_CRASH; false -> 0 end,
    add(Pid, Ts, ?ESC_E_EventKind_EXIT, none, marked(body(?ESC_F_EventBody_exit, R, RSz), Mark), 0, 0, 0, Mark, B1);
other_event({trace_ts, Pid, Link, Peer, Ts}, Ctx, B) when Link =:= link; Link =:= unlink ->
    B1 = esc_trace_announce:announce(Pid, Ts, Ctx, B),
    {B2, Other} = other(Peer, B1),
    O = esc_trace_enc:field_bytes(?ESC_F_LinkEvent_other, repr(Peer)),
    Kind = case Link of link -> ?ESC_E_EventKind_LINK; unlink -> ?ESC_E_EventKind_UNLINK end,
    add(Pid, Ts, Kind, none, body(?ESC_F_EventBody_link, O, byte_size(O)), Other, 0, 0, B2);
%% spawned and register have no event of their own: they name the process (esc_trace_ident).
other_event({trace_ts, Pid, register, Name, Ts}, Ctx, B) ->
    esc_trace_announce:announce(Pid, Ts, {register, Name}, Ctx, B);
other_event({trace_ts, Pid, spawned, _Parent, MFA, Ts}, Ctx, B) ->
    esc_trace_announce:announce(Pid, Ts, {spawned, MFA}, Ctx, B);
other_event(_Other, _Ctx, B) ->
    B.

abnormal(normal) -> false;
abnormal(shutdown) -> false;
abnormal({shutdown, _}) -> false;
abnormal(_) -> true.

%% The exception filters in force (exc_filter hook: fun(raised | crashes) -> boolean()).
filter(Kind, Ctx) ->
    case maps:get(exc_filter, Ctx, undefined) of
        F when is_function(F, 1) -> try F(Kind) =:= true catch _:_ -> false end;
        _ -> false
    end.

%% EventBody.hits appended to a body when Mark is a hit id.
marked(Body, 0) -> Body;
marked({Io, Sz}, Mark) ->
    Hits = esc_trace_enc:packed(?ESC_F_EventBody_hits, [Mark]),
    {[Io | Hits], Sz + byte_size(Hits)}.

%% Line-probe stub modules ('esc_probe@<Module>', see esc_probe): their calls are LINE events.
%% Cached per encoder, as the check runs for every call.
stub(M) ->
    case get({esc_stub, M}) of
        undefined ->
            S = case atom_to_binary(M, utf8) of
                    <<"esc_probe@", _/binary>> -> true;
                    _ -> false
                end,
            put({esc_stub, M}, S),
            S;
        S -> S
    end.

%% A LINE event from a probe call (Hit: none, or the hit_fun's result for a tagged probe call).
%% Its MFA is the instrumented function; bindings are the locals the probe passed.
line_event(Msg, Hit, Ctx, B) ->
    case esc_probe:line_event(Msg) of
        {ok, #{pid := Pid, module := M, function := F, arity := A, line := Line, file := File,
               bindings := Bs, ts := Ts}} ->
            B1 = esc_trace_announce:announce(Pid, Ts, Ctx, B),
            Inner = [esc_trace_enc:field_varint(?ESC_F_LineEvent_line, Line),
                     esc_trace_enc:field_str(?ESC_F_LineEvent_file, File) |
                     bindings_io(?ESC_F_LineEvent_bindings, Bs, limits(Ctx))],
            {Body, Sz} = body(?ESC_F_EventBody_line, Inner, iolist_size(Inner)),
            case Hit of
                #{hits := [First | _] = Ids} ->
                    Hits = esc_trace_enc:packed(?ESC_F_EventBody_hits, Ids),
                    add(Pid, Ts, ?ESC_E_EventKind_LINE, {M, F, A}, {[Body | Hits], Sz + byte_size(Hits)},
                        0, 0, 0, First, B1);
                _ ->
                    add(Pid, Ts, ?ESC_E_EventKind_LINE, {M, F, A}, {Body, Sz}, 0, 0, 0, B1)
            end;
        none -> B
    end.

call_event(Pid, {_, _, Args} = Call, Ts, MFA, Hit, Ctx, B) ->
    erase({esc_exc, Pid}),
    B1 = esc_trace_announce:announce(Pid, Ts, {call, Call}, Ctx, B),
    upgrade(Pid, Ctx),
    esc_trace_state:callback_call(Pid, Call, Ctx),
    L = limits(Ctx),
    {ArgsIo, ArgsSz} = esc_trace_enc:terms(?ESC_F_CallEvent_args, Args, repeat_limits(Pid, MFA, Hit, L)),
    case Hit of
        #{hits := [First | _] = Ids} ->
            Extra = hit_fields(Hit, L),
            {Call1, C1Sz} = body(?ESC_F_EventBody_call, [ArgsIo | Extra], ArgsSz + iolist_size(Extra)),
            Hits = esc_trace_enc:packed(?ESC_F_EventBody_hits, Ids),
            add(Pid, Ts, ?ESC_E_EventKind_CALL, MFA, {[Call1 | Hits], C1Sz + byte_size(Hits)},
                0, 0, 0, First, count(MFA, B1));
        _ ->
            add(Pid, Ts, ?ESC_E_EventKind_CALL, MFA, body(?ESC_F_EventBody_call, ArgsIo, ArgsSz),
                0, 0, 0, count(MFA, B1))
    end.

%% A function called again right after itself by the same process (a recursion step over a list, a
%% callback per element) gets its arguments captured with ?REPEAT_BUDGET: such steps often carry the
%% whole rest of a list each time, and capturing them in full cost more than everything else the
%% encoders did on gen_stage's test suite. The first call of a run, and breakpoint hits, are whole.
repeat_limits(Pid, MFA, Hit, L) ->
    case put({esc_lc, Pid}, MFA) of
        MFA when Hit =:= none -> setelement(4, L, min(element(4, L), ?REPEAT_BUDGET));
        _ -> L
    end.

%% CallEvent.clause, bindings (Binding{name, value}), line and stack (StackEntry, see
%% esc_bp:hit_stack/1) of a breakpoint hit.
hit_fields(Hit, L) ->
    Clause = esc_trace_enc:field_varint(?ESC_F_CallEvent_clause, maps:get(clause, Hit, 0)),
    Bindings = bindings_io(?ESC_F_CallEvent_bindings, maps:get(bindings, Hit, []), L),
    Line = esc_trace_enc:field_varint(?ESC_F_CallEvent_line, maps:get(line, Hit, 0)),
    Stack = [esc_trace_enc:field_bytes(?ESC_F_CallEvent_stack, iolist_to_binary(
                                            [esc_trace_enc:field_str(?ESC_F_StackEntry_module, esc_trace_enc:str(M)),
                                             esc_trace_enc:field_str(?ESC_F_StackEntry_function, esc_trace_enc:str(F)),
                                             esc_trace_enc:field_varint(?ESC_F_StackEntry_arity, A),
                                             esc_trace_enc:field_str(?ESC_F_StackEntry_file, File),
                                             esc_trace_enc:field_varint(?ESC_F_StackEntry_line, Ln)]))
             || {M, F, A, File, Ln} <- maps:get(stack, Hit, [])],
    [Clause, Bindings, Line | Stack].

%% Repeated Binding{name, value} as field Field.
bindings_io(Field, Bs, L) ->
    [begin
         {V, VSz} = esc_trace_enc:term_io(Value, L),
         {Vf, VfSz} = esc_trace_enc:field_io(?ESC_F_Binding_value, V, VSz),
         N = esc_trace_enc:field_str(?ESC_F_Binding_name, esc_trace_enc:str(Name)),
         element(1, esc_trace_enc:field_io(Field, [N | Vf], byte_size(N) + VfSz))
     end || {Name, Value} <- Bs].

%% The first traced call of a process adds message/process-event flags (same tracer).
upgrade(Pid, #{upgrade := true, tracer := Tracer}) when node(Pid) =:= node() ->
    case esc_trace_state:mark_upgraded(Pid) of
        false -> ok;
        true ->
            %% set_on_spawn: children of project processes are recorded from their first message.
            _ = (catch esc_tsess:process(Pid, true, [send, 'receive', procs, set_on_spawn,
                                                strict_monotonic_timestamp, {tracer, Tracer}])),
            ok
    end;
upgrade(_Pid, _Ctx) ->
    ok.

agent(To, #{agent := Agent}) when is_pid(To) -> maps:is_key(To, Agent);
agent(_To, _Ctx) -> false.

%% sys:get_state from the snapshot process must not appear as the user's own traffic.
%% Batches delivered to a sink that also runs project code (tests) must not feed back either.
from_agent({system, {From, _}, _}, Ctx) -> agent(From, Ctx);
from_agent({esc_send, _}, _Ctx) -> true;
from_agent(_, _) -> false.

dest(To) when is_pid(To) -> esc_trace_enc:pid_bin(To);
dest(To) when is_atom(To) -> atom_to_binary(To, utf8);
dest({Name, Node}) when is_atom(Name), is_atom(Node) ->
    <<(atom_to_binary(Name, utf8))/binary, $@, (atom_to_binary(Node, utf8))/binary>>;
dest(To) -> repr(To).

%% Printed form of a send/link target: pids, ports and references (GenServer replies go to an alias).
repr(P) when is_pid(P) -> esc_trace_enc:pid_bin(P);
repr(P) when is_port(P) -> list_to_binary(erlang:port_to_list(P));
repr(R) when is_reference(R) -> list_to_binary(erlang:ref_to_list(R));
repr(_) -> <<"?">>.

hash(Msg) -> erlang:phash2(Msg) + 1.

call_tag({'$gen_call', {_, Tag}, _}) -> erlang:phash2(Tag) + 1;
call_tag({Tag, _}) when is_reference(Tag) -> erlang:phash2(Tag) + 1;
call_tag({[alias | Ref] = Tag, _}) when is_reference(Ref) -> erlang:phash2(Tag) + 1;
call_tag(_) -> 0.

limits(#{limits := L}) -> L.

%% EventBody{Field: Inner}: {IoData, Size}.
body(Field, Inner, Sz) -> esc_trace_enc:field_io(Field, Inner, Sz).
