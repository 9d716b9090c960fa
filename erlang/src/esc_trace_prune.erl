%% Huge terms in trace messages: the tracer replaces their big parts by their bounded capture.
%%
%% Why: the VM copies a traced call's arguments (and a return value, a message) whole into the trace
%% message. A GenServer whose state is a list or map of a million items puts 16-30 MB into every
%% trace message of its callbacks; forwarded raw, that term is copied again into an encoder, and
%% two of them in one batch kill the encoder at its heap limit. So the tracer, which sees its own
%% heap grow as it receives such a message (process_info/2 of total_heap_size costs ~30 ns), prunes
%% that message at once: every map, long list or large tuple in it becomes a `precaptured` marker
%% holding the encoded Term the encoder would have produced under the same capture limits (bounded
%% work: items, depth and node budget, plus length/1 and external_size/1 in C). Small tuples and
%% short lists are kept as they are, so the encoder still reads callback returns ({reply, R, S}),
%% `From`, messages and breakpoint bindings. The marker reaches the wire unchanged through
%% esc_trace_enc:cap/4; the cut shows there as it always does (`omitted`, `truncated`).
-module(esc_trace_prune).

-export([message/2, precaptured/1]).

%% The marker: {?TAG, Io, Size, BudgetUsed, ?MAGIC}. The magic number keeps a user's own term of
%% that shape from ever being taken for one.
-define(TAG, '$esc_precaptured').
-define(MAGIC, 16#E5C0FFEE5CA1AB1E).
%% Tuples up to this size and lists up to this length are walked into; bigger ones are captured.
-define(WALK_TUPLE, 8).
-define(WALK_LIST, 64).

%% The trace message with its big parts captured under Limits (esc_trace_enc:limits/1), retagged
%% `esc_pruned_ts` so that the encoder knows (esc_trace_batch: it then never sends a term holding a
%% marker whole, which would put the marker itself on the wire). A breakpoint's tagged call stays as
%% it is: its conditions and bindings are evaluated over the real arguments.
-spec message(tuple(), esc_trace_enc:limits()) -> tuple().
message({trace_ts, _, call, _, _Tag, _} = Msg, _L) ->
    Msg;
message({trace_ts, _, _, _, _} = Msg, L) ->
    prune(Msg, L);
message({trace_ts, _, _, _, _, _} = Msg, L) ->
    prune(Msg, L);
message(Msg, _L) ->
    Msg.

%% {trace_ts, Pid, Tag, Data..., Timestamp}: everything between the tag and the timestamp.
prune(Msg, L) ->
    Pruned = lists:foldl(fun(I, M) -> setelement(I, M, part(element(I, M), L)) end, Msg,
                         lists:seq(4, tuple_size(Msg) - 1)),
    setelement(1, Pruned, esc_pruned_ts).

%% {Io, Size, BudgetUsed} of a marker, or `false` for any other term (esc_trace_enc:cap/4).
-spec precaptured(term()) -> {iodata(), non_neg_integer(), non_neg_integer()} | false.
precaptured({?TAG, Io, Sz, Used, ?MAGIC}) -> {Io, Sz, Used};
precaptured(_) -> false.

part(T, L) when is_tuple(T), tuple_size(T) =< ?WALK_TUPLE ->
    list_to_tuple([part(E, L) || E <- tuple_to_list(T)]);
part(T, L) when is_list(T) ->
    case short(T, ?WALK_LIST) of
        true -> [part(E, L) || E <- T];
        false -> capture(T, L)
    end;
part(T, L) when is_map(T); is_tuple(T) ->
    capture(T, L);
part(T, _L) ->
    T.

capture(T, {_, _, _, Budget, _} = L) ->
    {Io, Sz, Left} = esc_trace_enc:cap_term(T, L),
    {?TAG, Io, Sz, Budget - Left, ?MAGIC}.

%% A proper list of at most N elements (looks at N + 1 cells at most).
short([], _N) -> true;
short([_ | T], N) when N > 0 -> short(T, N - 1);
short(_, _) -> false.
