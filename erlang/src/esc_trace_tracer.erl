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
%% It runs with max_heap_size and an off-heap message queue, and dies with the controller (link).
-module(esc_trace_tracer).

-export([start_link/1, init/1, bucket/2]).

-include("esc_trace.hrl").

-record(t, {buf = [] :: list(), n = 0 :: non_neg_integer(), batch :: pos_integer(),
            encs :: tuple(), nenc :: pos_integer(), max_q :: pos_integer(), max_encq :: pos_integer(),
            max_bytes :: pos_integer(), heap_flush :: pos_integer(),
            cnt :: atomics:atomics_ref(), tab :: ets:tid() | atom(), gen = 0 :: non_neg_integer()}).

%% Opts: encoders (list of pids), batch, max_mailbox, max_encoder_queue, counters, mfa_tab, heap.
-spec start_link(map()) -> pid().
start_link(Opts) ->
    spawn_opt(?MODULE, init, [Opts],
              [link, {message_queue_data, off_heap},
               {max_heap_size, #{size => maps:get(heap, Opts), kill => true, error_logger => true}}]).

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
            cnt = maps:get(counters, Opts), tab = maps:get(mfa_tab, Opts)}).

loop(#t{buf = Buf, n = N, batch = Batch, gen = Gen} = T) ->
    receive
        Msg when element(1, Msg) =:= trace_ts ->
            N1 = N + 1,
            if N1 >= Batch -> loop(flush(T#t{buf = [Msg | Buf], n = N1}));
               N1 =:= 1 -> erlang:send_after(5, self(), {esc_flush, Gen}),
                           loop(T#t{buf = [Msg], n = 1});
               N1 band 63 =:= 0 -> loop(weigh(T#t{buf = [Msg | Buf], n = N1}));
               true -> loop(T#t{buf = [Msg | Buf], n = N1})
            end;
        {esc_flush, Gen} ->
            loop(flush(T));
        {esc_flush, _Stale} ->
            loop(T);
        {esc_flush_sync, From, Ref} ->
            %% esc_trace:flush/1: hand the buffer over now, then a marker behind it to every encoder.
            T2 = flush(T),
            Encs = tuple_to_list(T2#t.encs),
            [E ! {esc_sync, From, Ref} || E <- Encs],
            From ! {Ref, encoders, length(Encs)},
            loop(T2);
        {esc_trace_stop, From} ->
            _ = flush(T),
            From ! {esc_trace_stopped, self()},
            exit(normal);
        _Other ->
            loop(T)
    end.

%% Events with big arguments: a batch is flushed early once it weighs a quarter of the heap limit,
%% so neither this process nor the encoder receiving it comes near max_heap_size.
weigh(#t{heap_flush = Limit} = T) ->
    case process_info(self(), total_heap_size) of
        {total_heap_size, W} when W > Limit -> flush(T);
        _ -> T
    end.

flush(#t{n = 0} = T) ->
    T;
flush(#t{buf = Buf, n = N, cnt = Cnt, max_q = MaxQ, gen = Gen} = T) ->
    atomics:add(Cnt, ?C_IN, N),
    {message_queue_len, Q} = process_info(self(), message_queue_len),
    peak(Cnt, Q),
    T2 = T#t{buf = [], n = 0, gen = Gen + 1},
    case Q > MaxQ orelse too_big(Q, T) of
        true ->
            drop(Buf, N, T2),
            atomics:put(Cnt, ?C_OVERLOAD, 1),
            shed(T2, 0);
        false ->
            dispatch(Buf, T2),
            T2
    end.

%% Length alone does not bound memory when messages carry big terms: with a backlog, every 8th
%% flush also weighs the queue (process_info memory walks it, so it is not done on every flush).
too_big(Q, #t{gen = Gen, max_bytes = MaxBytes}) when Q > 100, Gen band 7 =:= 0 ->
    {memory, Bytes} = process_info(self(), memory),
    Bytes > MaxBytes;
too_big(_Q, _T) ->
    false.

dispatch(Buf, #t{nenc = 1, encs = {E}} = T) ->
    send(E, lists:reverse(Buf), T);
dispatch(Buf, #t{nenc = NE, encs = Encs} = T) ->
    %% Buf is newest first; prepending while folding restores arrival order per bucket.
    Buckets = lists:foldl(fun(Msg, Acc) ->
                                  I = erlang:phash2(element(2, Msg), NE) + 1,
                                  setelement(I, Acc, [Msg | element(I, Acc)])
                          end, erlang:make_tuple(NE, []), Buf),
    [send(element(I, Encs), element(I, Buckets), T) || I <- lists:seq(1, NE), element(I, Buckets) =/= []],
    ok.

send(E, Msgs, #t{max_encq = MaxEQ} = T) ->
    case process_info(E, message_queue_len) of
        {message_queue_len, Q} when Q =< MaxEQ -> E ! {esc_batch, Msgs}, ok;
        _ -> drop(Msgs, length(Msgs), T)
    end.

%% Counts a dropped batch, attributing it to the function of its first event so the controller's
%% choice of what to degrade sees the storm even when the encoders never do.
drop([], _N, _T) -> ok;
drop([Msg | _], N, #t{cnt = Cnt, tab = Tab}) ->
    atomics:add(Cnt, ?C_DROPPED, N),
    atomics:add(Cnt, ?C_DROP_PENDING, N),
    case esc_trace_batch:mfa_of(Msg) of
        none -> ok;
        MFA -> catch ets:update_counter(Tab, MFA, N, {MFA, 0})
    end,
    ok.

%% Overload: receive and count until the queue is back under half the limit.
shed(#t{cnt = Cnt, max_q = MaxQ} = T, Dropped) ->
    receive
        Msg when element(1, Msg) =:= trace_ts ->
            D = Dropped + 1,
            case D rem 1024 of
                0 ->
                    drop([Msg], 1024, T),
                    {message_queue_len, Q} = process_info(self(), message_queue_len),
                    peak(Cnt, Q),
                    case Q < min(MaxQ div 2, 1000) of
                        true -> T;
                        false -> shed(T, D)
                    end;
                _ -> shed(T, D)
            end;
        {esc_trace_stop, From} ->
            From ! {esc_trace_stopped, self()},
            exit(normal);
        _ ->
            shed(T, Dropped)
    after 0 ->
        atomics:add(Cnt, ?C_DROPPED, Dropped rem 1024),
        atomics:add(Cnt, ?C_DROP_PENDING, Dropped rem 1024),
        T
    end.

peak(Cnt, Q) ->
    case atomics:get(Cnt, ?C_MBOX_PEAK) of
        P when Q > P -> atomics:put(Cnt, ?C_MBOX_PEAK, Q);
        _ -> ok
    end.
