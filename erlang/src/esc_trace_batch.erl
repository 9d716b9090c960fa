%% Encoder process: turns batches of raw trace messages into encoded EventBatch messages.
%%
%% The tracer routes every process's events to the same encoder (esc_trace_tracer:bucket/2), so
%% this process sees each traced process's events in order and can keep, per process:
%% - whether it was announced (a PROCESS event naming it precedes its first event in a batch:
%%   esc_trace_announce);
%% - the GenServer callbacks in progress, so a return of init/1 or handle_* of a traced callback
%%   module becomes a STATE event (version, callback, the message that produced it, new state:
%%   esc_trace_state);
%% - whether it was upgraded: the first traced call of a process adds send/receive/procs flags,
%%   so messages, spawns, links and exits are recorded for processes that run project code only.
%% Each raw message becomes events in esc_trace_events; this module runs the process, assembles the
%% batch (pid and MFA tables, columns) and reports gaps. Capture and encoding (esc_trace_enc) happen
%% in the encoder, never in the traced process.
-module(esc_trace_batch).

-export([start_link/1, init/1, mfa_of/1, handle/2, meta_ts/1]).
%% The batch accumulator, for the modules that turn trace messages into events.
-export([add/9, add/10, count/2, other/2, exact/3, logs/4]).
-export_type([batch/0]).

-include("esc_trace.hrl").
-include("esc_proto.hrl").

%% Batches waiting before an encoder raises its priority from low to normal (pace/0).
-define(BACKLOG_BATCHES, 2).

%% Per-batch accumulator: intern tables and events (newest first).
-record(b, {pids = #{} :: map(), pidl = [] :: list(), np = 0 :: non_neg_integer(),
            mfas = #{} :: map(), mfal = [] :: list(), nm = 1 :: pos_integer(),
            evs = [] :: list(), n = 0 :: non_neg_integer(), counts = #{} :: map(),
            logs = [] :: list(), exact = [] :: list()}).
-opaque batch() :: #b{}.

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
            case esc_trace_state:initial_state(Pid, Mod, State, Ts, Ctx, #b{}) of
                #b{n = 0} -> ok;
                B -> emit(B, Ctx)
            end,
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
                       (Msg, Acc) -> esc_trace_events:event(meta_msg(Msg), Ctx, Acc)
                    end, #b{}, Msgs),
    count_mfas(B#b.counts, Ctx),
    emit(B, Ctx).

%% A message whose big parts the tracer captured (esc_trace_prune): encoded as any other, except
%% that no term of it travels whole (Term.etf), which would carry the tracer's markers as data; the
%% level-by-level capture puts each marker's captured bytes in its place.
pruned(Msg, #{limits := L} = Ctx, Acc) ->
    esc_trace_events:event(setelement(1, Msg, trace_ts), Ctx#{limits := setelement(5, L, false)}, Acc).

%% The function a raw trace message is about (for rate accounting), or none.
-spec mfa_of(tuple()) -> mfa() | none.
mfa_of({trace_ts, _, call, {M, F, Args}, _}) -> {M, F, length(Args)};
mfa_of({trace_ts, _, call, {M, F, Args}, _, _}) -> {M, F, length(Args)};
mfa_of({trace_ts, _, return_from, MFA, _, _}) -> MFA;
mfa_of({trace_ts, _, exception_from, MFA, _, _}) -> MFA;
mfa_of(Msg) when element(1, Msg) =:= esc_pruned_ts -> mfa_of(setelement(1, Msg, trace_ts));
mfa_of(_) -> none.

%% ---------------------------------------------------------------- timestamps

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

%% ---------------------------------------------------------------- batch assembly

%% One more event of MFA in this batch (the engine's rate accounting, esc_trace_ctl).
-spec count(mfa(), batch()) -> batch().
count(MFA, #b{counts = C} = B) ->
    B#b{counts = C#{MFA => maps:get(MFA, C, 0) + 1}}.

count_mfas(Counts, #{mfa_tab := Tab}) ->
    maps:foreach(fun(MFA, N) -> catch ets:update_counter(Tab, MFA, N, {MFA, 0}) end, Counts).

%% EventBatch.other of a peer process: its index in the pid table + 1, 0 for none.
-spec other(pid() | undefined | term(), batch()) -> {batch(), non_neg_integer()}.
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

%% Adds an event: Body is the encoded EventBody as {IoData, Size}, Kind an EventKind value; Other,
%% Hash and Tag fill the columns of the same names (0 = none), Hit the first hit id.
-spec add(pid(), {integer(), integer()}, non_neg_integer(), mfa() | none, {iodata(), non_neg_integer()},
          non_neg_integer(), non_neg_integer(), non_neg_integer(), batch()) -> batch().
add(Pid, Ts, Kind, MFA, Body, Other, Hash, Tag, B) ->
    add(Pid, Ts, Kind, MFA, Body, Other, Hash, Tag, 0, B).

-spec add(pid(), {integer(), integer()}, non_neg_integer(), mfa() | none, {iodata(), non_neg_integer()},
          non_neg_integer(), non_neg_integer(), non_neg_integer(), non_neg_integer(), batch()) -> batch().
add(Pid, {Mono, Uniq}, Kind, MFA, {BodyIo, BodySz}, Other, Hash, Tag, Hit, B) ->
    {B1, PIx} = pid_ix(Pid, B),
    {B2, MIx} = mfa_ix(MFA, B1),
    %% Flattened now: a batch keeps one binary per event alive instead of a deep iolist, which
    %% keeps the encoder's live heap (and so its max_heap_size headroom) small.
    {Field, _} = esc_trace_enc:field_io(?ESC_F_EventBatch_body, BodyIo, BodySz),
    B2#b{evs = [{Mono, Uniq, PIx, Kind, MIx, iolist_to_binary(Field), Hit, Other, Hash, Tag} | B2#b.evs],
         n = B2#b.n + 1}.

%% A stopping hit's exact bindings, kept after the batch under the event's sequence number (esc_hits):
%% B is the batch before the hit's event was added, B2 after.
-spec exact(term(), batch(), batch()) -> batch().
exact(#{hits := [_ | _], bindings := [_ | _] = Bs}, #b{n = N0}, #b{n = N, exact = E} = B2) when N > N0 ->
    B2#b{exact = [{N, Bs} | E]};
exact(_Hit, _B, B2) ->
    B2.

%% Log points of a hit: sent as LogOutput after the batch, with the event's sequence number.
-spec logs(pid(), term(), batch(), batch()) -> batch().
logs(Pid, #{logs := [_ | _] = Logs}, #b{n = N0}, #b{n = N, logs = L} = B2) when N > N0 ->
    B2#b{logs = [{N, Pid, Id, Text} || {Id, Text} <- Logs] ++ L};
logs(Pid, #{logs := [_ | _] = Logs}, _B, #b{logs = L} = B2) ->
    B2#b{logs = [{0, Pid, Id, Text} || {Id, Text} <- Logs] ++ L};
logs(_Pid, _Hit, _B, B2) ->
    B2.

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
    Column = fun(F, I) ->
                     esc_trace_enc:field_bytes(F, << <<(esc_trace_enc:varint(element(I, E)))/binary>> || E <- Evs >>)
             end,
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
