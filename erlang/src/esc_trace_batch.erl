%% Encoder process: turns batches of raw trace messages into encoded EventBatch messages.
%%
%% The tracer routes every process's events to the same encoder (esc_trace_tracer:bucket/2), so
%% this process sees each traced process's events in order and can keep, per process:
%% - whether it was announced (a PROCESS event naming it precedes its first event in a batch);
%% - the GenServer callbacks in progress, so a return of init/1 or handle_* of a traced callback
%%   module becomes a STATE event (version, callback, the message that produced it, new state);
%% - whether it was upgraded: the first traced call of a process adds send/receive/procs flags,
%%   so messages, spawns, links and exits are recorded for processes that run project code only.
%% Capture and encoding (esc_trace_enc) happen here, never in the traced process.
-module(esc_trace_batch).

-export([start_link/1, init/1, mfa_of/1, handle/2, meta_ts/1]).

-include("esc_trace.hrl").
-include("esc_proto.hrl").

%% Capture budget (nodes) of a repeated call's arguments (repeat_limits/4).
-define(REPEAT_BUDGET, 64).
%% Batches waiting before an encoder raises its priority from low to normal (pace/0).
-define(BACKLOG_BATCHES, 2).

%% Per-batch accumulator: intern tables and events (newest first).
-record(b, {pids = #{} :: map(), pidl = [] :: list(), np = 0 :: non_neg_integer(),
            mfas = #{} :: map(), mfal = [] :: list(), nm = 1 :: pos_integer(),
            evs = [] :: list(), n = 0 :: non_neg_integer(), counts = #{} :: map(),
            logs = [] :: list(), exact = [] :: list()}).

%% Opts: sink, limits, start_mono, start_uniq, counters, mfa_tab, tracer, cb_mods, agent,
%% upgrade, max_sink_queue, max_mailbox, heap; breakpoint hooks hit_fun and exc_filter (see esc_trace).
-spec start_link(map()) -> pid().
start_link(Opts) ->
    %% Priority: see pace/0 (low while keeping up, normal with a backlog).
    %% No max_heap_size: a breakpoint hit carries its real arguments, however big, and one term must
    %% not kill an encoder; the controller bounds the heap over time instead (esc_trace_ctl heap_watch).
    %% A large young heap and binary heap: every captured term makes a binary, and with the default
    %% sizes the binary heap alone forced a collection every few events (~30 % of the encoder's time
    %% on gen_stage's test suite).
    spawn_opt(?MODULE, init, [Opts],
              [link, {message_queue_data, off_heap}, {priority, maps:get(priority, Opts, low)},
               {min_heap_size, min(233681, maps:get(heap, Opts) div 8)}, {min_bin_vheap_size, 4194304}]).

-spec init(map()) -> no_return().
init(Ctx) ->
    ok = esc_tsess:untrace_self(),
    loop(Ctx).

loop(Ctx) ->
    receive
        {esc_batch, Msgs} ->
            guard(Ctx),
            handle(Msgs, Ctx),
            pace(),
            %% Everything of the batch is garbage now: collecting is cheap and returns the heap.
            case process_info(self(), total_heap_size) of
                {total_heap_size, W} when W > 500000 -> erlang:garbage_collect();
                _ -> ok
            end,
            loop(Ctx);
        {esc_gaps, Gaps} ->
            %% Sent by the tracer just before the next batch of these processes (esc_trace_tracer).
            add_gaps([{R, P, N, rel(Lo, Ctx), rel(Hi, Ctx)} || {R, P, {N, Lo, Hi}} <- Gaps]),
            send_gaps(Ctx),
            loop(Ctx);
        esc_gaps_retry ->
            erase(esc_gaps_retry),
            send_gaps(Ctx),
            loop(Ctx);
        {esc_sync, From, Ref} ->
            %% Everything the tracer sent before this marker has been encoded and handed to the sink.
            From ! {Ref, synced},
            loop(Ctx);
        {esc_initial_state, Pid, Mod, State, Ts} ->
            initial_state(Pid, Mod, State, Ts, Ctx),
            loop(Ctx);
        {esc_ctx, Updates} ->
            loop(maps:merge(Ctx, Updates));
        {esc_trace_stop, From} ->
            From ! {esc_trace_stopped, self()},
            exit(normal);
        _ ->
            loop(Ctx)
    end.

%% Low priority while this encoder keeps up, so that the user's processes come first and timing-
%% sensitive code (a test with a 5 ms idle timeout) runs as without us; normal priority once a backlog
%% builds, so that a busy suite cannot starve the encoders and lose its events.
pace() ->
    {message_queue_len, Q} = process_info(self(), message_queue_len),
    Want = case Q > ?BACKLOG_BATCHES of true -> normal; false -> low end,
    case get(esc_prio) of
        Want -> ok;
        _ -> process_flag(priority, Want), put(esc_prio, Want)
    end.

%% Mailbox guard: the tracer already refuses to queue more than max_encoder_queue batches here;
%% anything beyond max_mailbox (e.g. initial states) is drained and counted.
guard(#{max_mailbox := Max, counters := Cnt} = Ctx) ->
    case process_info(self(), message_queue_len) of
        {message_queue_len, Q} when Q > Max ->
            Lost = drain(0, Ctx),
            atomics:add(Cnt, ?C_DROPPED, Lost),
            atomics:add(Cnt, ?C_DROP_PENDING, Lost);
        _ -> ok
    end.

drain(N, Ctx) ->
    receive
        {esc_batch, Msgs} ->
            add_gaps([{encoder_behind, element(2, M), 1, rel(ts_mono(M), Ctx), rel(ts_mono(M), Ctx)} || M <- Msgs]),
            drain(N + length(Msgs), Ctx)
    after 0 -> N
    end.

ts_mono(Msg) ->
    case element(tuple_size(Msg), Msg) of
        {Mono, _} when is_integer(Mono) -> Mono;
        _ -> none
    end.

%% Encodes one batch of raw trace messages (arrival order) and hands it to the sink.
-spec handle([tuple()], map()) -> ok.
handle(Msgs, Ctx) ->
    B = lists:foldl(fun(Msg, Acc) when element(1, Msg) =:= esc_pruned_ts -> pruned(Msg, Ctx, Acc);
                       (Msg, Acc) -> event(meta_msg(Msg), Ctx, Acc)
                    end, #b{}, Msgs),
    count_mfas(B#b.counts, Ctx),
    emit(B, Ctx).

%% A message whose big parts the tracer captured (esc_trace_prune): encoded as any other, except
%% that no term of it travels whole (Term.etf), which would carry the tracer's markers as data; the
%% level-by-level capture puts each marker's captured bytes in its place.
pruned(Msg, #{limits := L} = Ctx, Acc) ->
    event(setelement(1, Msg, trace_ts), Ctx#{limits := setelement(5, L, false)}, Acc).

%% The function a raw trace message is about (for rate accounting), or none.
-spec mfa_of(tuple()) -> mfa() | none.
mfa_of({trace_ts, _, call, {M, F, Args}, _}) -> {M, F, length(Args)};
mfa_of({trace_ts, _, call, {M, F, Args}, _, _}) -> {M, F, length(Args)};
mfa_of({trace_ts, _, return_from, MFA, _, _}) -> MFA;
mfa_of({trace_ts, _, exception_from, MFA, _, _}) -> MFA;
mfa_of(Msg) when element(1, Msg) =:= esc_pruned_ts -> mfa_of(setelement(1, Msg, trace_ts));
mfa_of(_) -> none.

%% ---------------------------------------------------------------- events

%% Meta trace messages (breakpoint patterns of a breakpoint-only session, esc_tsess:bp_function/3)
%% carry an erlang:now() timestamp whatever the flags, on OTP 25 as in an OTP 27 session; every
%% other event carries {Mono, Uniq} (strict_monotonic_timestamp). Converted here so that they
%% order with the rest.
meta_msg(Msg) ->
    case element(tuple_size(Msg), Msg) of
        {_, _, _} = Now -> setelement(tuple_size(Msg), Msg, meta_ts(Now));
        _ -> Msg
    end.

%% now() is the VM's monotonic clock plus the time offset, in microseconds, bumped by 1 us when two
%% readings would be equal: minus the offset it is the monotonic time (fixed offset: the default
%% no_time_warp mode), at most 1 us early; several hits in one process keep their order, as now()
%% never repeats. The unique integer only breaks ties at the exact same nanosecond.
-spec meta_ts(tuple()) -> {integer(), integer()}.
meta_ts({Mega, Sec, Micro}) ->
    {((Mega * 1000000 + Sec) * 1000000 + Micro) * 1000 - erlang:time_offset(nanosecond),
     erlang:unique_integer([monotonic])};
meta_ts({_Mono, _Uniq} = Ts) ->
    Ts.

%% ---------------------------------------------------------------- events

event({trace_ts, Pid, call, {'Elixir.ExUnit.Runner', _, Args}, Ts}, #{ident_probes := true} = Ctx, B) ->
    test_probe(Pid, Args, Ts, Ctx, B);
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
                                                       observed_state(Pid, Call, Hit, Ts, Ctx, B)));
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
    B1 = announce(Pid, Ts, Ctx, B),
    {V, VSz} = esc_trace_enc:term_io(Value, limits(Ctx)),
    {Ret, RSz} = esc_trace_enc:field_io(?ESC_F_ReturnEvent_value, V, VSz),
    B2 = add(Pid, Ts, ?ESC_E_EventKind_RETURN, MFA, body(?ESC_F_EventBody_return, Ret, RSz), 0, 0, 0, count(MFA, B1)),
    callback_return(Pid, MFA, Value, Ts, Ctx, B2).

%% The `raised` exception filter marks the frame an exception leaves first; the same exception
%% then leaving the traced callers (no call in between) is not marked again.
exception_event(Pid, MFA, Class, Reason, Ts, Ctx, B) ->
    B1 = announce(Pid, Ts, Ctx, B),
    callback_abort(Pid, MFA, Ctx),
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
            B1 = announce(Pid, Ts, Ctx, B),
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
            B1 = announce(Pid, Ts, {'receive', Msg}, Ctx, B),
            {M0, M0Sz} = esc_trace_enc:term_io(Msg, limits(Ctx)),
            {Mf, MSz} = esc_trace_enc:field_io(?ESC_F_ReceiveEvent_message, M0, M0Sz),
            add(Pid, Ts, ?ESC_E_EventKind_RECEIVE, none, body(?ESC_F_EventBody_receive, Mf, MSz), 0, hash(Msg), 0, B1)
    end;
other_event({trace_ts, Pid, spawn, Child, {M, F, Args}, Ts}, Ctx, B) ->
    B1 = announce(Pid, Ts, Ctx, B),
    {B2, Other} = other(Child, B1),
    C = esc_trace_enc:field_bytes(?ESC_F_SpawnEvent_child, list_to_binary(pid_to_list(Child))),
    E = esc_trace_enc:field_bytes(?ESC_F_SpawnEvent_entry, esc_trace_enc:mfa(M, F, length(Args))),
    {A, ASz} = esc_trace_enc:terms(?ESC_F_SpawnEvent_args, Args, limits(Ctx)),
    add(Pid, Ts, ?ESC_E_EventKind_SPAWN, none, body(?ESC_F_EventBody_spawn, [C, E | A], byte_size(C) + byte_size(E) + ASz),
        Other, 0, 0, B2);
other_event({trace_ts, Pid, exit, Reason, Ts}, Ctx, B) ->
    B1 = announce(Pid, Ts, Ctx, B),
    {R0, R0Sz} = esc_trace_enc:term_io(Reason, limits(Ctx)),
    {R, RSz} = esc_trace_enc:field_io(?ESC_F_ExitEvent_reason, R0, R0Sz),
    erase({esc_p, Pid}),
    erase({esc_lc, Pid}),
    erase({esc_exc, Pid}),
    forget(Pid),
    %% The `crashes` filter: an abnormal exit of a process that ran traced code (only those
    %% processes get the procs flag).
    Mark = case abnormal(Reason) andalso filter(crashes, Ctx) of true -> ?ESC_HIT_CRASH; false -> 0 end,
    add(Pid, Ts, ?ESC_E_EventKind_EXIT, none, marked(body(?ESC_F_EventBody_exit, R, RSz), Mark), 0, 0, 0, Mark, B1);
other_event({trace_ts, Pid, Link, Peer, Ts}, Ctx, B) when Link =:= link; Link =:= unlink ->
    B1 = announce(Pid, Ts, Ctx, B),
    {B2, Other} = other(Peer, B1),
    O = esc_trace_enc:field_bytes(?ESC_F_LinkEvent_other, repr(Peer)),
    Kind = case Link of link -> ?ESC_E_EventKind_LINK; unlink -> ?ESC_E_EventKind_UNLINK end,
    add(Pid, Ts, Kind, none, body(?ESC_F_EventBody_link, O, byte_size(O)), Other, 0, 0, B2);
%% spawned and register have no event of their own: they name the process (esc_trace_ident).
other_event({trace_ts, Pid, register, Name, Ts}, Ctx, B) ->
    announce(Pid, Ts, {register, Name}, Ctx, B);
other_event({trace_ts, Pid, spawned, _Parent, MFA, Ts}, Ctx, B) ->
    announce(Pid, Ts, {spawned, MFA}, Ctx, B);
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
            B1 = announce(Pid, Ts, Ctx, B),
            Inner = [esc_trace_enc:field_varint(?ESC_F_LineEvent_line, Line),
                     esc_trace_enc:field_str(?ESC_F_LineEvent_file, File) |
                     bindings_io(?ESC_F_LineEvent_bindings, Bs, limits(Ctx))],
            {Body, Sz} = body(?ESC_F_EventBody_line, Inner, iolist_size(Inner)),
            case Hit of
                #{hits := [First | _] = Ids} ->
                    Hits = esc_trace_enc:packed(?ESC_F_EventBody_hits, Ids),
                    add(Pid, Ts, ?ESC_E_EventKind_LINE, {M, F, A}, {[Body | Hits], Sz + byte_size(Hits)}, 0, 0, 0, First, B1);
                _ ->
                    add(Pid, Ts, ?ESC_E_EventKind_LINE, {M, F, A}, {Body, Sz}, 0, 0, 0, B1)
            end;
        none -> B
    end.

%% A stopping hit's exact bindings, kept after the batch under the event's sequence number (esc_hits).
exact(#{hits := [_ | _], bindings := [_ | _] = Bs}, #b{n = N0}, #b{n = N, exact = E} = B2) when N > N0 ->
    B2#b{exact = [{N, Bs} | E]};
exact(_Hit, _B, B2) ->
    B2.

%% Log points of a hit: sent as LogOutput after the batch, with the event's sequence number.
logs(Pid, #{logs := [_ | _] = Logs}, #b{n = N0}, #b{n = N, logs = L} = B2) when N > N0 ->
    B2#b{logs = [{N, Pid, Id, Text} || {Id, Text} <- Logs] ++ L};
logs(Pid, #{logs := [_ | _] = Logs}, _B, #b{logs = L} = B2) ->
    B2#b{logs = [{0, Pid, Id, Text} || {Id, Text} <- Logs] ++ L};
logs(_Pid, _Hit, _B, B2) ->
    B2.

call_event(Pid, {_, _, Args} = Call, Ts, MFA, Hit, Ctx, B) ->
    erase({esc_exc, Pid}),
    B1 = announce(Pid, Ts, {call, Call}, Ctx, B),
    upgrade(Pid, Ctx),
    callback_call(Pid, Call, Ctx),
    L = limits(Ctx),
    {ArgsIo, ArgsSz} = esc_trace_enc:terms(?ESC_F_CallEvent_args, Args, repeat_limits(Pid, MFA, Hit, L)),
    case Hit of
        #{hits := [First | _] = Ids} ->
            Extra = hit_fields(Hit, L),
            {Call1, C1Sz} = body(?ESC_F_EventBody_call, [ArgsIo | Extra], ArgsSz + iolist_size(Extra)),
            Hits = esc_trace_enc:packed(?ESC_F_EventBody_hits, Ids),
            add(Pid, Ts, ?ESC_E_EventKind_CALL, MFA, {[Call1 | Hits], C1Sz + byte_size(Hits)}, 0, 0, 0, First, count(MFA, B1));
        _ ->
            add(Pid, Ts, ?ESC_E_EventKind_CALL, MFA, body(?ESC_F_EventBody_call, ArgsIo, ArgsSz), 0, 0, 0, count(MFA, B1))
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

%% ---------------------------------------------------------------- GenServer state history

%% A stop in a GenServer / gen_statem callback of a module whose state history is not recorded (a
%% breakpoint-only session, or a module outside the plan): the state the callback was called with
%% becomes a state version just before the hit, marked `initial` (a state seen, not one a callback
%% produced), so the stop shows it. Only when the process runs that module as its callback module.
observed_state(Pid, {M, F, Args}, #{hits := [_ | _]}, Ts, #{cb_mods := Cbs} = Ctx, B)
  when not is_map_key(M, Cbs), node(Pid) =:= node() ->
    case called_state(cb_kind(M), F, Args) of
        {ok, S} ->
            case describe(Pid) of
                {_, _, M} ->
                    B1 = announce(Pid, Ts, Ctx, B),
                    state_event(Pid, {M, F, length(Args)}, <<"initial">>, undefined, undefined, S, Ts, Ctx, B1);
                _ -> B
            end;
        none -> B
    end;
observed_state(_Pid, _Call, _Hit, _Ts, _Ctx, B) ->
    B.

called_state(gen_server, handle_call, [_, _, S]) -> {ok, S};
called_state(gen_server, F, [_, S]) when F =:= handle_cast; F =:= handle_info; F =:= handle_continue -> {ok, S};
called_state({gen_statem, handle_event_function}, handle_event, [_, _, Name, D]) -> {ok, {Name, D}};
called_state({gen_statem, state_functions}, F, [Type, _, D]) when F =/= terminate, F =/= code_change ->
    case event_type(Type) of true -> {ok, {F, D}}; false -> none end;
called_state(_, _, _) -> none.

event_type({call, _}) -> true;
event_type({timeout, _}) -> true;
event_type(T) -> lists:member(T, [cast, info, timeout, state_timeout, internal, enter]).

%% The behaviour of M (esc_trace_plan:callback_kind/1), cached per encoder: asked on stops only.
cb_kind(M) ->
    case get({esc_cb_kind, M}) of
        undefined -> K = esc_trace_plan:callback_kind(M), put({esc_cb_kind, M}, K), K;
        K -> K
    end.

%% Pending callbacks per process: {Function, Message, From, StateName}; StateName is the gen_statem
%% state the callback runs in (for keep_state returns), undefined for a gen_server.
callback_call(Pid, {M, F, Args}, #{cb_mods := Cbs}) ->
    case Cbs of
        #{M := gen_server} ->
            case {F, Args} of
                {init, [_]} -> push(Pid, {init, undefined, undefined, undefined});
                {handle_call, [Req, From, _]} -> push(Pid, {handle_call, Req, From, undefined});
                {handle_cast, [Msg, _]} -> push(Pid, {handle_cast, Msg, undefined, undefined});
                {handle_info, [Msg, _]} -> push(Pid, {handle_info, Msg, undefined, undefined});
                {handle_continue, [Msg, _]} -> push(Pid, {handle_continue, Msg, undefined, undefined});
                _ -> ok
            end;
        #{M := {gen_statem, Mode}} ->
            case {Mode, F, Args} of
                {_, init, [_]} -> push(Pid, {init, undefined, undefined, undefined});
                {state_functions, _, [Type, Content, _Data]} when F =/= terminate ->
                    {Msg, From} = statem_event(Type, Content),
                    push(Pid, {F, Msg, From, F});
                {handle_event_function, handle_event, [Type, Content, State, _Data]} ->
                    {Msg, From} = statem_event(Type, Content),
                    push(Pid, {F, Msg, From, State});
                _ -> ok
            end;
        _ -> ok
    end.

%% A gen_statem event as the message of a state version: {call, Request} with the caller as From,
%% {cast, Msg}, {info, Msg}, {state_timeout, Content}, {enter, OldState}, ...
statem_event({call, From}, Content) -> {{call, Content}, From};
statem_event(Type, Content) -> {{Type, Content}, undefined}.

callback_abort(Pid, {M, F, A}, #{cb_mods := Cbs}) ->
    case Cbs of
        #{M := Kind} -> case is_callback(Kind, F, A) of true -> _ = pop(Pid, F), ok; false -> ok end;
        _ -> ok
    end.

is_callback(_, init, 1) -> true;
is_callback(gen_server, handle_call, 3) -> true;
is_callback(gen_server, handle_cast, 2) -> true;
is_callback(gen_server, handle_info, 2) -> true;
is_callback(gen_server, handle_continue, 2) -> true;
is_callback({gen_statem, state_functions}, F, 3) -> F =/= terminate;
is_callback({gen_statem, handle_event_function}, handle_event, 4) -> true;
is_callback(_, _, _) -> false.

callback_return(Pid, {M, F, A} = MFA, Value, Ts, #{cb_mods := Cbs} = Ctx, B) ->
    Kind = maps:get(M, Cbs, none),
    case Kind =/= none andalso is_callback(Kind, F, A) andalso pop(Pid, F) of
        {ok, Msg, From, Cur} ->
            case new_state(Kind, F, Value, Cur) of
                {ok, S} -> state_event(Pid, MFA, atom_to_binary(F, utf8), Msg, From, S, Ts, Ctx, B);
                none -> B
            end;
        _ -> B
    end.

new_state(gen_server, init, {ok, S}) -> {ok, S};
new_state(gen_server, init, {ok, S, _}) -> {ok, S};
new_state(gen_server, handle_call, {reply, _, S}) -> {ok, S};
new_state(gen_server, handle_call, {reply, _, S, _}) -> {ok, S};
new_state(gen_server, handle_call, {stop, _, _, S}) -> {ok, S};
new_state(gen_server, init, _) -> none;
new_state(gen_server, _, {noreply, S}) -> {ok, S};
new_state(gen_server, _, {noreply, S, _}) -> {ok, S};
new_state(gen_server, _, {stop, _, S}) -> {ok, S};
%% gen_statem: the version is {StateName, Data}; *_and_data returns change nothing.
new_state({gen_statem, _}, init, {ok, S, D}) -> {ok, {S, D}};
new_state({gen_statem, _}, init, {ok, S, D, _}) -> {ok, {S, D}};
new_state({gen_statem, _}, _, {next_state, S, D}) -> {ok, {S, D}};
new_state({gen_statem, _}, _, {next_state, S, D, _}) -> {ok, {S, D}};
new_state({gen_statem, _}, _, {K, D}) when K =:= keep_state; K =:= repeat_state -> {same_state, D};
new_state({gen_statem, _}, _, {K, D, _}) when K =:= keep_state; K =:= repeat_state -> {same_state, D};
new_state({gen_statem, _}, _, {stop, _, D}) -> {same_state, D};
new_state({gen_statem, _}, _, {stop_and_reply, _, _, D}) -> {same_state, D};
new_state(_, _, _) -> none.

%% Cur: the state name the gen_statem callback ran in (kept by same-state returns).
new_state(Kind, F, Value, Cur) ->
    case new_state(Kind, F, Value) of
        {same_state, D} -> {ok, {Cur, D}};
        Other -> Other
    end.

state_event(Pid, MFA, Callback, Msg, From, S, Ts, Ctx, B) ->
    {Version, Pending, Up} = pstate(Pid),
    V = Version + 1,
    put({esc_p, Pid}, {V, Pending, Up}),
    L = limits(Ctx),
    Vf = esc_trace_enc:field_varint(?ESC_F_StateEvent_version, V),
    Cf = esc_trace_enc:field_bytes(?ESC_F_StateEvent_callback, Callback),
    {Mf, MSz} = case Msg of
                    undefined -> {<<>>, 0};
                    _ -> {M0, M0Sz} = esc_trace_enc:term_io(Msg, L),
                         esc_trace_enc:field_io(?ESC_F_StateEvent_message, M0, M0Sz)
                end,
    {S0, S0Sz} = esc_trace_enc:term_io(S, L),
    {Sf, SSz} = esc_trace_enc:field_io(?ESC_F_StateEvent_state, S0, S0Sz),
    Ff = case From of
             {FromPid, _} when is_pid(FromPid) ->
                 esc_trace_enc:field_bytes(?ESC_F_StateEvent_from, esc_trace_enc:pid_bin(FromPid));
             _ -> <<>>
         end,
    Sz = byte_size(Vf) + byte_size(Cf) + MSz + SSz + byte_size(Ff),
    add(Pid, Ts, ?ESC_E_EventKind_STATE, MFA, body(?ESC_F_EventBody_state, [Vf, Cf, Mf, Sf, Ff], Sz), 0, 0, 0, B).

%% A process that was running before tracing began: its current state becomes version 1, unless
%% a callback return already produced a version.
initial_state(Pid, Mod, State, Ts, Ctx) ->
    case pstate(Pid) of
        {0, _, _} ->
            B0 = announce(Pid, Ts, Ctx, #b{}),
            B1 = state_event(Pid, {Mod, init, 1}, <<"initial">>, undefined, undefined, State, Ts, Ctx, B0),
            emit(B1, Ctx);
        _ -> ok
    end.

pstate(Pid) ->
    case get({esc_p, Pid}) of
        undefined -> {0, [], false};
        P -> P
    end.

push(Pid, Entry) ->
    {V, Pending, Up} = pstate(Pid),
    put({esc_p, Pid}, {V, [Entry | lists:sublist(Pending, 7)], Up}).

%% The innermost pending callback of that name (events lost to sampling or drops can leave others).
pop(Pid, F) ->
    {V, Pending, Up} = pstate(Pid),
    case lists:keytake(F, 1, Pending) of
        {value, {F, Msg, From, Cur}, Rest} -> put({esc_p, Pid}, {V, Rest, Up}), {ok, Msg, From, Cur};
        false -> none
    end.

%% ---------------------------------------------------------------- processes

%% The first traced call of a process adds message/process-event flags (same tracer).
upgrade(Pid, #{upgrade := true, tracer := Tracer}) when node(Pid) =:= node() ->
    case pstate(Pid) of
        {_, _, true} -> ok;
        {V, P, false} ->
            put({esc_p, Pid}, {V, P, true}),
            %% set_on_spawn: children of project processes are recorded from their first message.
            _ = (catch esc_tsess:process(Pid, true, [send, 'receive', procs, set_on_spawn,
                                                strict_monotonic_timestamp, {tracer, Tracer}])),
            ok
    end;
upgrade(_Pid, _Ctx) ->
    ok.

%% A PROCESS event names a process the first time this encoder sees it (and, per batch, the pid
%% table makes every later event refer to it by index). Its identity comes from the event that
%% announces it (Hint: {call, {M, F, Args}}, {spawned, MFA}, {'receive', Msg}, {register, Name}), an
%% ExUnit probe seen before, and process_info while the process is still alive: a process that is
%% already gone is named from what travelled with its events (esc_trace_ident).
announce(Pid, Ts, Ctx, B) ->
    announce(Pid, Ts, none, Ctx, B).

announce(Pid, Ts, Hint, Ctx, B) ->
    case get({esc_seen, Pid}) of
        undefined ->
            Id0 = esc_trace_ident:merge(esc_trace_ident:empty(), pending_test(Pid)),
            Id = identify(Pid, Hint, Id0, Ctx),
            remember(Pid, open_question(Id)),
            process_event(Pid, Ts, Id, Ctx, B);
        _ when Hint =:= none -> B;
        Open -> relearn(Pid, Ts, Open, Hint, Ctx, B)
    end.

%% Strongest source first: the announcing spawn, what the live process says, then the first call.
identify(Pid, Hint, Id0, Ctx) ->
    Id1 = case Hint of
              {spawned, MFA} -> esc_trace_ident:merge(Id0, esc_trace_ident:from_spawn(MFA));
              {register, Name} -> esc_trace_ident:merge(Id0, esc_trace_ident:from_register(Name));
              _ -> Id0
          end,
    Id2 = esc_trace_ident:merge(Id1, esc_trace_ident:from_info(Pid)),
    Id3 = case Hint of
              {call, Call} -> esc_trace_ident:merge(Id2, esc_trace_ident:from_call(Call, cbs(Ctx)));
              _ -> Id2
          end,
    case Id3 of
        #{cb := Cb, via := <<>>} when Cb =/= undefined -> Id3#{via := via_name(Pid)};
        _ -> Id3
    end.

cbs(Ctx) -> maps:get(cb_mods, Ctx, #{}).

%% What later events may still tell about an announced process (kept instead of the whole
%% identity, so that many processes cost a word each): unknown (nothing yet: its next recorded
%% call names it), no_cb (a callback of a recorded callback module would name it), task (a Task
%% whose fun arrives in its first message), known.
open_question(#{kind := <<"task">>, entry := <<>>}) -> task;
open_question(#{kind := K}) when K =/= <<>> -> known;
open_question(#{cb := undefined, entry := <<>>, initial := <<>>, reg := <<>>, via := <<>>}) -> unknown;
open_question(#{cb := undefined}) -> no_cb;
open_question(_) -> known.

%% A later event that names an announced process: a PROCESS event with the new fields only (the
%% debugger keeps the fields it has and renames the thread).
relearn(Pid, Ts, Open, Hint, Ctx, B) ->
    New = case {Open, Hint} of
              {_, {register, Name}} -> esc_trace_ident:from_register(Name);
              {unknown, {call, Call}} -> esc_trace_ident:from_call(Call, cbs(Ctx));
              {no_cb, {call, {M, _, _} = Call}} when is_map_key(M, map_get(cb_mods, Ctx)) ->
                  case esc_trace_ident:from_call(Call, cbs(Ctx)) of
                      #{cb := _} = C -> C;
                      _ -> #{}
                  end;
              {task, {'receive', Msg}} -> esc_trace_ident:from_received(Msg);
              {_, {test, Args}} -> esc_trace_ident:from_test_args(Args);
              %% The parent sends the trace message of a spawn, the child those of its own events: the
              %% child's first events can reach the tracer before its `spawned`.
              {_, {spawned, MFA}} -> esc_trace_ident:from_spawn(MFA);
              _ -> #{}
          end,
    case maps:filter(fun(_, V) -> V =/= <<>> andalso V =/= undefined end, New) of
        Empty when map_size(Empty) =:= 0 -> B;
        Learned ->
            Id = maps:merge(esc_trace_ident:empty(), Learned),
            put({esc_seen, Pid}, reopen(Open, Learned)),
            process_event(Pid, Ts, Id, Ctx, B)
    end.

%% The open question after learning more.
reopen(_, #{cb := _}) -> known;
reopen(unknown, _) -> no_cb;
reopen(_, #{kind := <<"task">>, entry := _}) -> known;
reopen(_, #{kind := <<"task">>}) -> task;
reopen(task, #{entry := _}) -> known;
reopen(Open, _) -> Open.

process_event(Pid, Ts, #{cb := CbMod} = Id, Ctx, B) ->
    Inner = <<(esc_trace_ident:encode(Id))/binary,
              (esc_trace_enc:field_str(?ESC_F_ProcessEvent_behaviour, behaviour(CbMod, Ctx)))/binary>>,
    add(Pid, Ts, ?ESC_E_EventKind_PROCESS, none, body(?ESC_F_EventBody_process, Inner, byte_size(Inner)), 0, 0, 0, B).

%% The behaviour of a recorded callback module, so the debugger can name a state "GenServer" or
%% "gen_statem" state.
behaviour(CbMod, #{cb_mods := Cbs}) ->
    case maps:get(CbMod, Cbs, none) of
        gen_server -> <<"gen_server">>;
        {gen_statem, _} -> <<"gen_statem">>;
        _ -> <<>>
    end;
behaviour(_Cb, _Ctx) -> <<>>.

%% Announced pids are remembered in the process dictionary; exits forget them, and when many
%% accumulate (processes without exit events) the dead ones are forgotten in one sweep.
-define(MAX_SEEN, 100000).

remember(Pid, Open) ->
    put({esc_seen, Pid}, Open),
    case get(esc_seen_n) of
        N when is_integer(N), N >= ?MAX_SEEN ->
            Dead = [P || {{esc_seen, P}, _} <- get(), node(P) =/= node() orelse not is_process_alive(P)],
            [begin erase({esc_seen, P}), erase({esc_p, P}) end || P <- Dead],
            put(esc_seen_n, N - length(Dead));
        N when is_integer(N) -> put(esc_seen_n, N + 1);
        undefined -> put(esc_seen_n, 1)
    end.

forget(Pid) ->
    case erase({esc_seen, Pid}) of
        undefined -> ok;
        _ -> put(esc_seen_n, max(0, get(esc_seen_n) - 1))
    end.

%% {RegisteredName, InitialCall, CallbackModule | undefined} of a live process (what it says itself).
describe(Pid) ->
    Id = esc_trace_ident:merge(esc_trace_ident:empty(), esc_trace_ident:from_info(Pid)),
    #{reg := Reg, initial := Initial, cb := Cb} = Id,
    {Reg, Initial, Cb}.

%% The key a GenServer is registered under in an Elixir Registry (`{:via, Registry, {R, Key}}`), printed
%% as Elixir does, so that two processes of the same module can be told apart by name. Registries keep
%% a named ETS table under their own name; which tables are registries is found out at most every
%% 5 s per encoder (asking a table that is not one fails), so a node that starts many processes pays
%% one lookup per registry per new GenServer, in the encoder, never in the traced process.
-define(REGISTRY_REFRESH_MS, 5000).

via_name(Pid) ->
    case erlang:function_exported('Elixir.Registry', keys, 2) of
        false -> <<>>;
        true ->
            Keys = lists:append([K || T <- registries(),
                                      K <- [try 'Elixir.Registry':keys(T, Pid) catch _:_ -> [] end],
                                      is_list(K)]),
            case Keys of
                [Key | _] -> try 'Elixir.Kernel':inspect(Key) catch _:_ -> <<>> end;
                [] -> <<>>
            end
    end.

registries() ->
    Now = erlang:monotonic_time(millisecond),
    case get(esc_registries) of
        {At, Tables} when Now - At < ?REGISTRY_REFRESH_MS -> Tables;
        _ ->
            Tables = [T || T <- ets:all(), is_atom(T),
                           is_list(try 'Elixir.Registry':keys(T, self()) catch _:_ -> error end)],
            put(esc_registries, {Now, Tables}),
            Tables
    end.

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

%% ---------------------------------------------------------------- batch assembly

limits(#{limits := L}) -> L.

%% EventBody{Field: Inner}: {IoData, Size}.
body(Field, Inner, Sz) -> esc_trace_enc:field_io(Field, Inner, Sz).

count(MFA, #b{counts = C} = B) ->
    B#b{counts = C#{MFA => maps:get(MFA, C, 0) + 1}}.

count_mfas(Counts, #{mfa_tab := Tab}) ->
    maps:foreach(fun(MFA, N) -> catch ets:update_counter(Tab, MFA, N, {MFA, 0}) end, Counts).

other(undefined, B) -> {B, 0};
other(P, B) when is_pid(P) ->
    {B2, Ix} = pid_ix(P, B),
    {B2, Ix + 1};
other(_, B) -> {B, 0}.

pid_ix(Pid, #b{pids = Pids, pidl = L, np = N} = B) ->
    case Pids of
        #{Pid := Ix} -> {B, Ix};
        _ -> {B#b{pids = Pids#{Pid => N}, pidl = [esc_trace_enc:pid_bin(Pid) | L], np = N + 1}, N}
    end.

mfa_ix(none, B) -> {B, 0};
mfa_ix(MFA, #b{mfas = Mfas, mfal = L, nm = N} = B) ->
    case Mfas of
        #{MFA := Ix} -> {B, Ix};
        _ -> {M, F, A} = MFA,
             {B#b{mfas = Mfas#{MFA => N}, mfal = [esc_trace_enc:mfa(M, F, A) | L], nm = N + 1}, N}
    end.

add(Pid, Ts, Kind, MFA, Body, Other, Hash, Tag, B) ->
    add(Pid, Ts, Kind, MFA, Body, Other, Hash, Tag, 0, B).

add(Pid, {Mono, Uniq}, Kind, MFA, {BodyIo, BodySz}, Other, Hash, Tag, Hit, B) ->
    {B1, PIx} = pid_ix(Pid, B),
    {B2, MIx} = mfa_ix(MFA, B1),
    %% Flattened now: a batch keeps one binary per event alive instead of a deep iolist, which
    %% keeps the encoder's live heap (and so its max_heap_size headroom) small.
    {Field, _} = esc_trace_enc:field_io(?ESC_F_EventBatch_body, BodyIo, BodySz),
    B2#b{evs = [{Mono, Uniq, PIx, Kind, MIx, iolist_to_binary(Field), Hit, Other, Hash, Tag} | B2#b.evs],
         n = B2#b.n + 1}.

emit(#b{n = 0}, Ctx) -> send_gaps(Ctx);
emit(#b{evs = Evs0, n = N, pidl = PidL, mfal = MfaL, logs = Logs, exact = Exact}, #{counters := Cnt, start_mono := M0,
                                                          start_uniq := U0} = Ctx) ->
    %% Gaps before the events that follow them (the adapter marks them before it commits those).
    send_gaps(Ctx),
    Evs = lists:reverse(Evs0),
    Last = atomics:add_get(Cnt, ?C_SEQ, N),
    First = Last - N + 1,
    Dropped = atomics:exchange(Cnt, ?C_DROP_PENDING, 0),
    %% A packed column of element I of every event.
    Column = fun(F, I) -> esc_trace_enc:field_bytes(F, << <<(esc_trace_enc:varint(element(I, E)))/binary>> || E <- Evs >>) end,
    Batch = [esc_trace_enc:packed(?ESC_F_EventBatch_seq, lists:seq(First, Last)),
             esc_trace_enc:packed(?ESC_F_EventBatch_mono, [max(0, Mo - M0) || {Mo, _, _, _, _, _, _, _, _, _} <- Evs]),
             esc_trace_enc:packed(?ESC_F_EventBatch_uniq, [max(0, U - U0) || {_, U, _, _, _, _, _, _, _, _} <- Evs]),
             Column(?ESC_F_EventBatch_pid, 3),
             Column(?ESC_F_EventBatch_kind, 4),
             Column(?ESC_F_EventBatch_mfa, 5),
             Column(?ESC_F_EventBatch_hit, 7),
             [Body || {_, _, _, _, _, Body, _, _, _, _} <- Evs],
             [esc_trace_enc:field_bytes(?ESC_F_EventBatch_pids, P) || P <- lists:reverse(PidL)],
             %% mfas[0] is the placeholder of index 0 (no function): an empty Mfa.
             [esc_trace_enc:field_bytes(?ESC_F_EventBatch_mfas, <<>>) |
              [esc_trace_enc:field_bytes(?ESC_F_EventBatch_mfas, Mf) || Mf <- lists:reverse(MfaL)]],
             esc_trace_enc:field_varint(?ESC_F_EventBatch_dropped, Dropped),
             Column(?ESC_F_EventBatch_other, 8),
             Column(?ESC_F_EventBatch_msg_hash, 9),
             Column(?ESC_F_EventBatch_call_tag, 10)],
    Bin = iolist_to_binary(esc_trace_enc:agent_events(Batch)),
    case esc_trace_sink:send(Ctx, Bin) of
        ok -> atomics:add(Cnt, ?C_ENCODED, N);
        dropped ->
            atomics:add(Cnt, ?C_DROPPED, N),
            atomics:add(Cnt, ?C_DROP_PENDING, N + Dropped),
            atomics:put(Cnt, ?C_SINK_FULL, 1),
            Pids = list_to_tuple(lists:reverse(PidL)),
            add_gaps([{connection_behind, element(element(3, E) + 1, Pids), 1, max(0, element(1, E) - M0),
                       max(0, element(1, E) - M0)} || E <- Evs])
    end,
    [esc_trace_sink:message(Ctx, #{msg => {log_output, #{breakpoint => Id, text => Text,
                                                         pid => list_to_binary(pid_to_list(Pid)),
                                                         seq => case Ix of 0 -> 0; _ -> First + Ix - 1 end}}})
     || {Ix, Pid, Id, Text} <- lists:reverse(Logs)],
    [esc_hits:keep(First + Ix - 1, Bs) || {Ix, Bs} <- Exact],
    ok.

%% ---------------------------------------------------------------- gaps

%% Lost events not yet reported, per {Reason, Pid}: {Count, FirstMono, LastMono} (ns since the agent
%% started; none = unknown). Kept in the process dictionary until a Gaps frame gets through.
-define(MAX_GAP_KEYS, 1024).

rel(none, _Ctx) -> none;
rel(Mono, #{start_mono := M0}) -> max(0, Mono - M0).

add_gaps([]) -> ok;
add_gaps(New) ->
    G0 = case get(esc_gaps) of undefined -> #{}; G -> G end,
    put(esc_gaps, lists:foldl(fun add_gap/2, G0, New)),
    ok.

add_gap({R, P, N, Lo, Hi}, G) ->
    K0 = {R, P},
    K = case is_map_key(K0, G) orelse map_size(G) < ?MAX_GAP_KEYS of
            true -> K0;
            false -> {R, other}
        end,
    case G of
        #{K := {N0, Lo0, Hi0}} -> G#{K := {N0 + N, gap_lo(Lo0, Lo), gap_hi(Hi0, Hi)}};
        _ -> G#{K => {N, Lo, Hi}}
    end.

gap_lo(none, M) -> M;
gap_lo(L, none) -> L;
gap_lo(L, M) -> min(L, M).

gap_hi(none, M) -> M;
gap_hi(H, none) -> H;
gap_hi(H, M) -> max(H, M).

%% One AgentMessage.gaps with every pending gap; kept when the sink refuses it, and tried again
%% with the next batch or after GAP_RETRY_MS, whichever comes first (no batch may follow).
-define(GAP_RETRY_MS, 100).

send_gaps(Ctx) ->
    case get(esc_gaps) of
        G when is_map(G), map_size(G) > 0 ->
            Gaps = [#{pid => gap_pid(P), count => N, reason => gap_reason(R),
                      from_mono => gap_mono(Lo), to_mono => gap_mono(Hi)} || {{R, P}, {N, Lo, Hi}} <- maps:to_list(G)],
            case esc_trace_sink:message(Ctx, #{msg => {gaps, #{gaps => Gaps}}}) of
                ok -> erase(esc_gaps), ok;
                dropped ->
                    case put(esc_gaps_retry, true) of
                        undefined -> erlang:send_after(?GAP_RETRY_MS, self(), esc_gaps_retry), ok;
                        true -> ok
                    end
            end;
        _ -> ok
    end.

gap_pid(P) when is_pid(P) -> esc_trace_enc:pid_bin(P);
gap_pid(P) when is_binary(P) -> P;
gap_pid(P) when is_port(P) -> list_to_binary(erlang:port_to_list(P));
gap_pid(_) -> <<>>.

gap_reason(overload) -> 'OVERLOAD';
gap_reason(encoder_behind) -> 'ENCODER_BEHIND';
gap_reason(connection_behind) -> 'CONNECTION_BEHIND'.

gap_mono(none) -> 0;
gap_mono(M) -> M.

%% ---------------------------------------------------------------- process identity (ExUnit probe)

%% A call of the ExUnit probe (esc_trace_ident): no event; the test names the process when it runs
%% project code (announce), or renames it if it already did. Pending tests of processes that never
%% run project code are swept when many accumulate.
-define(MAX_PENDING_TESTS, 20000).

test_probe(Pid, Args, Ts, Ctx, B) ->
    case get({esc_seen, Pid}) of
        undefined ->
            case esc_trace_ident:from_test_args(Args) of
                Test when map_size(Test) > 0 ->
                    put({esc_test, Pid}, Test),
                    N = case get(esc_test_n) of undefined -> 1; N0 -> N0 + 1 end,
                    put(esc_test_n, N),
                    N >= ?MAX_PENDING_TESTS andalso sweep_tests(),
                    B;
                _ -> B
            end;
        Open -> relearn(Pid, Ts, Open, {test, Args}, Ctx, B)
    end.

pending_test(Pid) ->
    case erase({esc_test, Pid}) of
        undefined -> #{};
        Test -> put(esc_test_n, max(0, get(esc_test_n) - 1)), Test
    end.

sweep_tests() ->
    Dead = [P || {{esc_test, P}, _} <- get(), not is_process_alive(P)],
    [erase({esc_test, P}) || P <- Dead],
    put(esc_test_n, length([x || {{esc_test, _}, _} <- get()])).
