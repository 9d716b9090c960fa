%% The tracer process: the one process the BEAM delivers every trace message to.
%%
%% Its per-event work is a cons and an increment. Every `batch` messages, or 5 ms after the first
%% message of a batch, it hands the raw messages to the encoder processes (split by pid so that each
%% process's events stay in order in one encoder, which tracks that process's GenServer state).
%% Nothing is formatted, captured or encoded here.
%%
%% Bounds (all counted, never silent):
%% - its own mailbox: when longer than max_mailbox (or heavier than max_queue_bytes) at a flush, it
%%   sheds: messages are received and counted as dropped until the queue is short again; the
%%   controller sees the overload flag and degrades the noisiest functions;
%% - each encoder's mailbox: a batch for an encoder that has more than max_encoder_queue batches
%%   waiting is dropped and counted.
%% Every loss is also a gap in the lost events' processes: per pid, how many and the time span
%% (pending in `gaps`, bounded). A process's gaps go to its encoder just before the next batch the
%% encoder gets, so they reach the adapter before the events that follow them (esc_trace_batch
%% sends them as AgentMessage.gaps); when no batch follows, a timer hands them over.
%% Huge terms: a message that makes its heap pass a quarter of the heap limit has its big parts
%% captured here (esc_trace_prune) before it goes on, so no agent process holds a huge term long.
%% It runs with an off-heap message queue, and dies with the controller (link).
-module(esc_trace_tracer).

-export([start_link/1, init/1, bucket/2]).

-include("esc_trace.hrl").

-record(t, {buf = [] :: list(), n = 0 :: non_neg_integer(), batch :: pos_integer(),
            encs :: tuple(), nenc :: pos_integer(), max_q :: pos_integer(), max_encq :: pos_integer(),
            max_bytes :: pos_integer(), heap_flush :: pos_integer(), limits :: esc_trace_enc:limits(),
            cnt :: atomics:atomics_ref(), tab :: ets:tid() | atom(), gen = 0 :: non_neg_integer(),
            gaps = #{} :: gaps(), gap_timer = false :: boolean()}).

%% Lost events not yet handed to an encoder: {Reason, Pid | other} => {Count, FirstMono, LastMono}
%% (monos of the trace timestamps; none when a message had none).
-type gaps() :: #{{overload | encoder_behind, pid() | port() | other} =>
                      {pos_integer(), integer() | none, integer() | none}}.
%% Distinct processes a pending gap list keeps apart; the losses of any others are one gap with
%% pid `other` (the bound keeps a storm over many processes from growing the tracer's heap).
-define(MAX_GAP_KEYS, 256).
-define(GAP_HANDOVER_MS, 100).

%% Opts: encoders (list of pids), batch, max_mailbox, max_encoder_queue, counters, mfa_tab, heap.
-spec start_link(map()) -> pid().
start_link(Opts) ->
    %% No max_heap_size: the VM hands this process whatever a traced call carries, and a limit would
    %% kill it for one huge term; its heap is bounded by its own check on every message (heavy/2).
    spawn_opt(?MODULE, init, [Opts], [link, {message_queue_data, off_heap}]).

%% Which encoder (1-based) handles the events of Pid: the same function routes initial states.
-spec bucket(pid() | port(), pos_integer()) -> pos_integer().
bucket(_Pid, 1) -> 1;
bucket(Pid, N) -> erlang:phash2(Pid, N) + 1.

-spec init(map()) -> no_return().
init(Opts) ->
    %% An agent process must never be traced itself.
    ok = esc_tsess:untrace_self(),
    Encs = list_to_tuple(maps:get(encoders, Opts)),
    loop(#t{batch = maps:get(batch, Opts), encs = Encs, nenc = tuple_size(Encs),
            max_q = maps:get(max_mailbox, Opts), max_encq = maps:get(max_encoder_queue, Opts),
            max_bytes = maps:get(max_queue_bytes, Opts, 64 * 1024 * 1024),
            heap_flush = max(10000, maps:get(heap, Opts) div 4),
            limits = maps:get(limits, Opts, esc_trace_enc:limits(#{})),
            cnt = maps:get(counters, Opts), tab = maps:get(mfa_tab, Opts)}).

loop(#t{buf = Buf, n = N, batch = Batch, gen = Gen} = T) ->
    receive
        Msg when element(1, Msg) =:= trace_ts ->
            N1 = N + 1,
            {total_heap_size, Words} = process_info(self(), total_heap_size),
            if Words > T#t.heap_flush -> loop(heavy(Msg, T#t{n = N1}));
               N1 >= Batch -> loop(flush(T#t{buf = [Msg | Buf], n = N1}));
               N1 =:= 1 -> erlang:send_after(5, self(), {esc_flush, Gen}),
                           loop(T#t{buf = [Msg], n = 1});
               true -> loop(T#t{buf = [Msg | Buf], n = N1})
            end;
        {esc_flush, Gen} ->
            loop(flush(T));
        {esc_flush, _Stale} ->
            loop(T);
        {esc_limits, L} ->
            loop(T#t{limits = L});
        esc_gaps_out ->
            loop(arm_gaps(hand_all_gaps(T#t{gap_timer = false})));
        {esc_flush_sync, From, Ref} ->
            %% esc_trace:flush/1: hand the buffer over now, then a marker behind it to every encoder.
            T2 = flush(T),
            Encs = tuple_to_list(T2#t.encs),
            [E ! {esc_sync, From, Ref} || E <- Encs],
            From ! {Ref, encoders, length(Encs)},
            loop(T2);
        {esc_trace_stop, From} ->
            _ = hand_all_gaps(flush(T)),
            From ! {esc_trace_stopped, self()},
            exit(normal);
        _Other ->
            loop(T)
    end.

%% The heap (which counts a message from the moment it is received) passed a quarter of the heap
%% limit: this message is huge, or the batch in hand is heavy. The message's big parts are replaced
%% by their capture (esc_trace_prune), the batch goes to the encoders at once, and the heap is
%% collected, so a GenServer state of a million items costs a bounded capture here, is never copied
%% to an encoder, and kills nothing.
heavy(Msg, #t{buf = Buf, limits = L} = T) ->
    T2 = flush(T#t{buf = [esc_trace_prune:message(Msg, L) | Buf]}),
    erlang:garbage_collect(),
    T2.

flush(T) ->
    arm_gaps(flush1(T)).

flush1(#t{n = 0} = T) ->
    T;
flush1(#t{buf = Buf, n = N, cnt = Cnt, max_q = MaxQ, gen = Gen} = T) ->
    atomics:add(Cnt, ?C_IN, N),
    {message_queue_len, Q} = process_info(self(), message_queue_len),
    peak(Cnt, Q),
    T2 = T#t{buf = [], n = 0, gen = Gen + 1},
    case Q > MaxQ orelse too_big(Q, T) of
        true ->
            %% Only the excess goes: the batch in hand is delivered and the queue is cut to three
            %% quarters of where it stood (or of the limit), so a burst loses its tail, not everything.
            atomics:put(Cnt, ?C_OVERLOAD, 1),
            shedding(dispatch(Buf, T2), Q, min(Q, MaxQ) * 3 div 4);
        false ->
            dispatch(Buf, T2)
    end.

%% Length alone does not bound memory when messages carry big terms: with a backlog, every 8th
%% flush also weighs the queue (process_info memory walks it, so it is not done on every flush).
too_big(Q, #t{gen = Gen, max_bytes = MaxBytes}) when Q > 100, Gen band 7 =:= 0 ->
    {memory, Bytes} = process_info(self(), memory),
    Bytes > MaxBytes;
too_big(_Q, _T) ->
    false.

dispatch(Buf, #t{nenc = 1} = T) ->
    send(1, lists:reverse(Buf), T);
dispatch(Buf, #t{nenc = NE} = T) ->
    %% Buf is newest first; prepending while folding restores arrival order per bucket.
    Buckets = lists:foldl(fun(Msg, Acc) ->
                                  I = erlang:phash2(element(2, Msg), NE) + 1,
                                  setelement(I, Acc, [Msg | element(I, Acc)])
                          end, erlang:make_tuple(NE, []), Buf),
    lists:foldl(fun(I, TAcc) ->
                        case element(I, Buckets) of
                            [] -> TAcc;
                            Msgs -> send(I, Msgs, TAcc)
                        end
                end, T, lists:seq(1, NE)).

%% Encoder I gets the pending gaps of its processes first, then the batch.
send(I, Msgs, #t{max_encq = MaxEQ, encs = Encs} = T) ->
    E = element(I, Encs),
    case process_info(E, message_queue_len) of
        {message_queue_len, Q} when Q =< MaxEQ ->
            T2 = hand_gaps(I, T),
            E ! {esc_batch, Msgs},
            T2;
        _ -> drop(Msgs, length(Msgs), encoder_behind, T)
    end.

%% Counts a dropped batch, attributing it to the function of its first event so the controller's
%% choice of what to degrade sees the storm even when the encoders never do, and notes the gap in
%% each of its processes.
drop([], _N, _Reason, T) -> T;
drop([Msg | _] = Msgs, N, Reason, #t{cnt = Cnt, gaps = G} = T) ->
    atomics:add(Cnt, ?C_DROPPED, N),
    atomics:add(Cnt, ?C_DROP_PENDING, N),
    attribute(Msg, N, T),
    T#t{gaps = lists:foldl(fun(M, Acc) -> note_gap(Reason, M, Acc) end, G, Msgs)}.

attribute(Msg, N, #t{tab = Tab}) ->
    case esc_trace_batch:mfa_of(Msg) of
        none -> ok;
        MFA -> catch ets:update_counter(Tab, MFA, N, {MFA, 0})
    end,
    ok.

%% Overload: receive and count until the queue is back under the target. The VM puts trace
%% messages in this mailbox without any back-pressure: once the queue passes twice the limit while
%% shedding (a storm: a few traced processes in a tight loop outrun a normal-priority tracer on a
%% small machine, and the queue, hundreds of bytes a message, grows by the gigabyte) the tracer sheds
%% at high priority until the queue is short again. A burst just over the limit is shed at normal
%% priority, so that a busy test suite's timing is not disturbed.
shedding(T, Q, Target) ->
    storm_priority(Q, T),
    T2 = shed(T, 0, Target),
    _ = process_flag(priority, normal),
    T2.

storm_priority(Q, #t{max_q = MaxQ}) when Q > 2 * MaxQ -> _ = process_flag(priority, high), ok;
storm_priority(_Q, _T) -> ok.

%% Each shed message costs one map update (its process's gap); the global counters move every 1024
%% (the controller counts the dropped into the node's event rate, so a storm is degraded).
shed(#t{cnt = Cnt} = T0, Dropped, Target) ->
    receive
        Msg when element(1, Msg) =:= trace_ts ->
            D = Dropped + 1,
            T = T0#t{gaps = note_gap(overload, Msg, T0#t.gaps)},
            case D rem 1024 of
                0 ->
                    atomics:add(Cnt, ?C_DROPPED, 1024),
                    atomics:add(Cnt, ?C_DROP_PENDING, 1024),
                    atomics:add(Cnt, ?C_SHED, 1024),
                    attribute(Msg, 1024, T),
                    {message_queue_len, Q} = process_info(self(), message_queue_len),
                    peak(Cnt, Q),
                    storm_priority(Q, T),
                    case Q =< Target of
                        true -> T;
                        false -> shed(T, D, Target)
                    end;
                _ -> shed(T, D, Target)
            end;
        {esc_trace_stop, From} ->
            From ! {esc_trace_stopped, self()},
            exit(normal);
        esc_gaps_out ->
            %% Handed over once the shedding ends (flush/1 arms the timer again).
            shed(T0#t{gap_timer = false}, Dropped, Target);
        _ ->
            shed(T0, Dropped, Target)
    after 0 ->
        atomics:add(Cnt, ?C_DROPPED, Dropped rem 1024),
        atomics:add(Cnt, ?C_DROP_PENDING, Dropped rem 1024),
        atomics:add(Cnt, ?C_SHED, Dropped rem 1024),
        T0
    end.

%% ---------------------------------------------------------------- gaps

note_gap(Reason, Msg, G) ->
    Mono = ts_mono(element(tuple_size(Msg), Msg)),
    K0 = {Reason, element(2, Msg)},
    K = case is_map_key(K0, G) orelse map_size(G) < ?MAX_GAP_KEYS of
            true -> K0;
            false -> {Reason, other}
        end,
    case G of
        #{K := {N, Lo, Hi}} -> G#{K := {N + 1, lo(Lo, Mono), hi(Hi, Mono)}};
        _ -> G#{K => {1, Mono, Mono}}
    end.

%% The monotonic time (ns) of a trace timestamp: {Mono, Uniq} (strict_monotonic_timestamp), or an
%% erlang:now() triple (meta trace messages of breakpoint patterns).
ts_mono({Mono, _}) when is_integer(Mono) -> Mono;
ts_mono({Mega, Sec, Micro}) when is_integer(Micro) ->
    ((Mega * 1000000 + Sec) * 1000000 + Micro) * 1000 - erlang:time_offset(nanosecond);
ts_mono(_) -> none.

lo(none, M) -> M;
lo(L, none) -> L;
lo(L, M) -> min(L, M).

hi(none, M) -> M;
hi(H, none) -> H;
hi(H, M) -> max(H, M).

%% Hands encoder I the pending gaps of the processes it encodes (pid `other` goes to the first).
hand_gaps(_I, #t{gaps = G} = T) when map_size(G) =:= 0 -> T;
hand_gaps(I, #t{gaps = G, nenc = NE, encs = Encs} = T) ->
    {Mine, Rest} = maps:fold(fun({R, P} = K, V, {M, Rs}) ->
                                     case owner(P, NE) of
                                         I -> {[{R, P, V} | M], Rs};
                                         _ -> {M, Rs#{K => V}}
                                     end
                             end, {[], #{}}, G),
    Mine =/= [] andalso (element(I, Encs) ! {esc_gaps, Mine}),
    T#t{gaps = Rest}.

hand_all_gaps(#t{nenc = NE} = T) ->
    lists:foldl(fun(I, TAcc) -> hand_gaps(I, TAcc) end, T, lists:seq(1, NE)).

owner(other, _NE) -> 1;
owner(P, NE) -> bucket(P, NE).

%% Gaps still pending (no batch went to their encoder): handed over by a timer.
arm_gaps(#t{gaps = G, gap_timer = false} = T) when map_size(G) > 0 ->
    erlang:send_after(?GAP_HANDOVER_MS, self(), esc_gaps_out),
    T#t{gap_timer = true};
arm_gaps(T) ->
    T.

peak(Cnt, Q) ->
    case atomics:get(Cnt, ?C_MBOX_PEAK) of
        P when Q > P -> atomics:put(Cnt, ?C_MBOX_PEAK, Q);
        _ -> ok
    end.
