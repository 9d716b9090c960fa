%% One-pass protobuf encoder for the recording hot path.
%%
%% Why it exists: esc_term:capture/2 builds a Term map and esc_proto:encode_msg/2 walks it again,
%% allocating two intermediate trees per captured value. The encoder processes of esc_trace encode
%% hundreds of thousands of terms per second, so this module goes straight from an Erlang term to
%% the wire bytes of the schema's Term message, with *exactly* the bounding rules of esc_term
%% (depth, items, binary bytes, per-term node budget, same map iteration order) and exactly the
%% bytes esc_proto produces for that map (checked by esc_trace_enc_tests against both modules).
%% It also frames EventBody payloads and EventBatch/AgentMessage envelopes, the same way.
%%
%% All functions are pure and run in agent processes only.
-module(esc_trace_enc).

-export([limits/1, term/2, term_io/2, cap_term/2, field_io/3, terms/3, str/1, pid_bin/1, field_str/2, varint/1, field_bytes/2, field_varint/2,
         packed/2, mfa/3, agent_events/1, etf_cost/2, etf/1, fun_name/1, count_rest/1]).

-export_type([limits/0]).

-include("esc_proto.hrl").

%% {Depth, Items, BinaryBytes, Budget, Whole}: a tuple so the hot path reads it with element/2 only.
%% Whole = false never sends a term whole (Term.etf): for tests of the level-by-level capture.
-type limits() :: {pos_integer(), pos_integer(), pos_integer(), pos_integer(), boolean()}.

-define(MAX_SAFE_INT, 9007199254740992).
-define(MAX_COUNT, 1000000).
-define(PID_CACHE, 4096).
-define(ETF_BYTES_PER_NODE, 8).
%% Term{truncated: Truncated{reason: SIZE}} and Term{truncated: {}} (reason DEPTH, the default).
-define(TRUNCATED_SIZE, <<(?ESC_TAG_LEN(?ESC_F_Term_truncated)), 2, (?ESC_TAG_VARINT(?ESC_F_Truncated_reason)),
                          (?ESC_E_Truncated_Reason_SIZE)>>).
-define(TRUNCATED_DEPTH, <<(?ESC_TAG_LEN(?ESC_F_Term_truncated)), 0>>).

%% Turns a CaptureLimits-like map (0 or missing = esc_term's default) into the tuple form.
-spec limits(map()) -> limits().
limits(Given) ->
    Def = #{depth => 8, items => 32, binary_bytes => 256, budget => 2000},
    G = fun(K) -> case maps:get(K, Given, 0) of
                      N when is_integer(N), N > 0 -> N;
                      _ -> maps:get(K, Def)
                  end end,
    %% Depth is clamped like esc_term does, to what the adapter's decoder accepts.
    {min(G(depth), ?ESC_MAX_CAPTURE_DEPTH), G(items), G(binary_bytes), G(budget), maps:get(whole, Given, true) =/= false}.

%% Encoded Term message (a binary) for Term under Limits.
-spec term(term(), limits()) -> binary().
term(T, L) ->
    {Io, _Sz} = term_io(T, L),
    iolist_to_binary(Io).

%% Encoded Term as iodata plus its size: what the event encoders use (no flattening).
-spec term_io(term(), limits()) -> {iodata(), non_neg_integer()}.
term_io(T, {Depth, _, _, Budget, _} = L) ->
    {Io, Sz, _} = cap(T, Depth, L, Budget),
    {Io, Sz}.

%% Encoded Term as iodata, its size and the node budget left (esc_trace_prune keeps the budget
%% used, so a precaptured part costs the event what it would have cost captured here).
-spec cap_term(term(), limits()) -> {iodata(), non_neg_integer(), integer()}.
cap_term(T, {Depth, _, _, Budget, _} = L) ->
    cap(T, Depth, L, Budget).

%% A length-delimited field holding iodata of known size: {IoData, TotalSize}.
-spec field_io(pos_integer(), iodata(), non_neg_integer()) -> {iodata(), non_neg_integer()}.
field_io(F, Io, Sz) when F < 16 ->
    lfield_io(?ESC_TAG_LEN(F), Io, Sz);
field_io(F, Io, Sz) ->
    K = varint(?ESC_TAG_LEN(F)),
    V = varint(Sz),
    {[K, V | Io], byte_size(K) + byte_size(V) + Sz}.

%% Each term of a list, encoded as a length-delimited field number Field (e.g. CallEvent.args).
-spec terms(pos_integer(), [term()], limits()) -> {iodata(), non_neg_integer()}.
terms(Field, Ts, L) ->
    lists:foldr(fun(T, {Acc, Sz}) ->
                        {Io, TSz} = term_io(T, L),
                        {F, FSz} = field_io(Field, Io, TSz),
                        {[F | Acc], Sz + FSz}
                end, {[], 0}, Ts).

-spec str(atom() | binary() | string()) -> binary().
str(A) when is_atom(A) -> atom_to_binary(A, utf8);
str(B) when is_binary(B) -> B;
str(L) when is_list(L) -> unicode:characters_to_binary(L).

-spec varint(non_neg_integer()) -> binary().
varint(N) when N < 128 -> <<N>>;
varint(N) when N < 16384 -> <<1:1, (N band 127):7, (N bsr 7)>>;
varint(N) when N < 2097152 -> <<1:1, (N band 127):7, 1:1, ((N bsr 7) band 127):7, (N bsr 14)>>;
varint(N) -> <<1:1, (N band 127):7, (varint(N bsr 7))/binary>>.

%% A length-delimited field (wire type 2).
-spec field_bytes(pos_integer(), binary()) -> binary().
field_bytes(F, Bin) when F < 16 ->
    <<(?ESC_TAG_LEN(F)), (varint(byte_size(Bin)))/binary, Bin/binary>>;
field_bytes(F, Bin) ->
    <<(varint(?ESC_TAG_LEN(F)))/binary, (varint(byte_size(Bin)))/binary, Bin/binary>>.

%% A varint field (wire type 0); proto3 default 0 is omitted.
-spec field_varint(pos_integer(), non_neg_integer()) -> binary().
field_varint(_F, 0) -> <<>>;
field_varint(F, N) -> <<(varint(?ESC_TAG_VARINT(F)))/binary, (varint(N))/binary>>.

%% A packed repeated varint column; an empty list encodes as nothing.
-spec packed(pos_integer(), [non_neg_integer()]) -> binary().
packed(_F, []) -> <<>>;
packed(F, L) -> field_bytes(F, << <<(varint(X))/binary>> || X <- L >>).

%% Encoded Mfa message.
-spec mfa(atom(), atom(), non_neg_integer()) -> binary().
mfa(M, F, A) ->
    <<(field_bytes(?ESC_F_Mfa_module, atom_to_binary(M, utf8)))/binary,
      (field_bytes(?ESC_F_Mfa_function, atom_to_binary(F, utf8)))/binary,
      (field_varint(?ESC_F_Mfa_arity, A))/binary>>.

%% AgentMessage{events: Batch} from an already encoded EventBatch.
-spec agent_events(iodata()) -> iodata().
agent_events(BatchIo) ->
    [<<(?ESC_TAG_LEN(?ESC_F_AgentMessage_events))>>, varint(iolist_size(BatchIo)), BatchIo].

%% ---------------------------------------------------------------- Term (mirrors esc_term:cap/4)
%%
%% A list, tuple or map that fits the budget travels whole, as its external term format (Term.etf);
%% only bigger ones are walked, and each of their parts again travels whole when it fits.
%% Terms are built as iolists with their byte size carried alongside, so no level is copied or
%% measured twice: cap/4 returns {IoData, Size, BudgetLeft}.

cap(_T, _D, _L, B) when B =< 0 ->
    {?TRUNCATED_SIZE, 4, 0};
cap(T, _D, _L, B) when is_atom(T) ->
    {Io, Sz} = lfield(?ESC_TAG_LEN(?ESC_F_Term_atom), atom_to_binary(T, utf8)),
    {Io, Sz, B - 1};
cap(T, _D, _L, B) when is_integer(T), T >= 0, T < 64 ->
    {[?ESC_TAG_VARINT(?ESC_F_Term_int), T bsl 1], 2, B - 1};
cap(T, _D, _L, B) when is_integer(T), T =< ?MAX_SAFE_INT, T >= -?MAX_SAFE_INT ->
    Z = if T >= 0 -> T bsl 1; true -> ((-T) bsl 1) - 1 end,
    V = varint(Z),
    {[?ESC_TAG_VARINT(?ESC_F_Term_int) | V], 1 + byte_size(V), B - 1};
cap(T, _D, _L, B) when is_integer(T) ->
    Neg = case T < 0 of true -> <<(?ESC_TAG_VARINT(?ESC_F_BigInt_negative)), 1>>; false -> <<>> end,
    Inner = <<Neg/binary, (field_bytes(?ESC_F_BigInt_magnitude, binary:encode_unsigned(abs(T))))/binary>>,
    {Io, Sz} = lfield(?ESC_TAG_LEN(?ESC_F_Term_big_int), Inner),
    {Io, Sz, B - 1};
cap(T, _D, _L, B) when is_float(T) ->
    {<<(?ESC_TAG_I64(?ESC_F_Term_float)), T:64/little-float>>, 9, B - 1};
cap(T, _D, {_, _, Bytes, _, _}, B) when is_binary(T) ->
    Size = byte_size(T),
    Inner = case Size =< Bytes of
                true -> bytes_field(?ESC_F_Binary_data, T);
                false -> <<(bytes_field(?ESC_F_Binary_data, binary:part(T, 0, Bytes)))/binary,
                           (field_varint(?ESC_F_Binary_omitted_bytes, Size - Bytes))/binary>>
            end,
    {Io, Sz} = lfield(?ESC_TAG_LEN(?ESC_F_Term_binary), Inner),
    {Io, Sz, B - 1};
cap(T, _D, {_, _, Bytes, _, _}, B) when is_bitstring(T) ->
    Whole = byte_size(T) - 1,
    {Io, Sz} =
        case Whole < Bytes of
            true ->
                <<Head:Whole/binary, Tail/bitstring>> = T,
                Bits = bit_size(Tail),
                Data = <<Head/binary, Tail/bitstring, 0:(8 - Bits)>>,
                lfield(?ESC_TAG_LEN(?ESC_F_Term_bitstring), <<(bytes_field(?ESC_F_Bitstring_data, Data))/binary,
                                                              (field_varint(?ESC_F_Bitstring_trailing_bits, Bits))/binary>>);
            false ->
                %% binary:part/3 refuses bitstrings on OTP >= 27: take the whole bytes by matching.
                <<Part:Bytes/binary, _/bitstring>> = T,
                lfield(?ESC_TAG_LEN(?ESC_F_Term_binary), <<(bytes_field(?ESC_F_Binary_data, Part))/binary,
                                                           (field_varint(?ESC_F_Binary_omitted_bytes, byte_size(T) - Bytes))/binary>>)
        end,
    {Io, Sz, B - 1};
cap(T, _D, _L, B) when is_pid(T) ->
    {Io, Sz} = pid_field(T),
    {Io, Sz, B - 1};
cap(T, _D, _L, B) when is_port(T) ->
    {Io, Sz} = lfield(?ESC_TAG_LEN(?ESC_F_Term_port), opaque(node(T), erlang:port_to_list(T))),
    {Io, Sz, B - 1};
cap(T, _D, _L, B) when is_reference(T) ->
    {Io, Sz} = lfield(?ESC_TAG_LEN(?ESC_F_Term_ref), opaque(node(T), erlang:ref_to_list(T))),
    {Io, Sz, B - 1};
cap(T, _D, _L, B) when is_function(T) ->
    {Io, Sz} = lfield(?ESC_TAG_LEN(?ESC_F_Term_fun), fun_msg(T)),
    {Io, Sz, B - 1};
cap(T, D, L, B) when tuple_size(T) =:= 5, element(1, T) =:= '$esc_precaptured' ->
    %% A big part the tracer already captured (esc_trace_prune), under these same limits.
    case esc_trace_prune:precaptured(T) of
        {Io, Sz, Used} -> {Io, Sz, B - Used};
        false -> cap_compound(T, D, L, B)
    end;
cap(T, D, L, B) ->
    cap_compound(T, D, L, B).

cap_compound(T, D, {_, _, _, _, false} = L, B) when is_list(T); is_tuple(T); is_map(T) ->
    cap_struct(T, D, L, B);
cap_compound(T, D, L, B) when is_list(T), T =/= []; is_tuple(T); is_map(T) ->
    case etf_cost(T, B) of
        none -> cap_struct(T, D, L, B);
        Cost ->
            {Io, Sz} = lfield(?ESC_TAG_LEN(?ESC_F_Term_etf), etf(T)),   % the whole term, exact
            {Io, Sz, B - Cost}
    end;
cap_compound(T, D, L, B) ->
    cap_struct(T, D, L, B).

%% A compound term too big for the budget: captured level by level, each part again whole when it fits.
cap_struct(_T, D, _L, B) when D =< 0 ->
    {?TRUNCATED_DEPTH, 2, B - 1};
cap_struct(T, D, {_, Items, _, _, _} = L, B) when is_list(T) ->
    {Inner, ISz, B2} = cap_list(T, D - 1, L, B - 1, Items, [], 0),
    {Io, Sz} = lfield_io(?ESC_TAG_LEN(?ESC_F_Term_list), Inner, ISz),
    {Io, Sz, B2};
cap_struct(T, D, {_, Items, _, _, _} = L, B) when is_tuple(T) ->
    Size = tuple_size(T),
    N = min(Size, Items),
    {Inner, ISz, B2} = cap_elems(T, 1, N, D - 1, L, B - 1, [], 0),
    Om = field_varint(?ESC_F_Tuple_omitted, Size - N),
    {Io, Sz} = lfield_io(?ESC_TAG_LEN(?ESC_F_Term_tuple), [Inner | Om], ISz + byte_size(Om)),
    {Io, Sz, B2};
cap_struct(T, D, {_, Items, _, _, _} = L, B) when is_map(T) ->
    Size = map_size(T),
    First = case Size =< Items of
                true -> maps:to_list(T);
                false -> take(maps:next(maps:iterator(T)), Items)
            end,
    {Inner, ISz, B2} = cap_entries(First, D - 1, L, B - 1, [], 0),
    Om = field_varint(?ESC_F_Map_omitted, Size - min(Size, Items)),
    {Io, Sz} = lfield_io(?ESC_TAG_LEN(?ESC_F_Term_map), [Inner | Om], ISz + byte_size(Om)),
    {Io, Sz, B2}.

%% What capturing T whole (Term.etf) costs from a node budget B, or `none` when it does not fit.
%% erlang:external_size/1 and term_to_binary/2 are BIFs: measuring and encoding a term in C costs a
%% small fraction of walking it in Erlang (about 0.2 µs against 35 µs for a 1 KB GenServer state),
%% which is what lets the encoders keep up with real code. Bytes count against the node budget at
%% ?ETF_BYTES_PER_NODE, so a term's size on the wire stays bounded as before (2000 nodes: 16 KiB).
-spec etf_cost(term(), integer()) -> pos_integer() | none.
etf_cost(T, B) ->
    Cost = erlang:external_size(T) div ?ETF_BYTES_PER_NODE + 1,
    case Cost =< B of
        true -> Cost;
        false -> none
    end.

%% The external term format of T, with UTF-8 atoms on every OTP release (the adapter decodes it).
-spec etf(term()) -> binary().
etf(T) ->
    term_to_binary(T, [{minor_version, 2}]).

cap_list([], _D, _L, B, _N, Acc, Sz) ->
    {lists:reverse(Acc), Sz, B};
cap_list([_ | _] = Rest, _D, _L, B, 0, Acc, Sz) ->
    Om = field_varint(?ESC_F_List_omitted, count_rest(Rest)),
    {lists:reverse(Acc, Om), Sz + byte_size(Om), B};
cap_list([H | T], D, L, B, N, Acc, Sz) ->
    {HC, HSz, B2} = cap(H, D, L, B),
    {F, FSz} = lfield_io(?ESC_TAG_LEN(?ESC_F_List_items), HC, HSz),
    cap_list(T, D, L, B2, N - 1, [F | Acc], Sz + FSz);
cap_list(Improper, D, L, B, _N, Acc, Sz) ->
    {TC, TSz, B2} = cap(Improper, D, L, B),
    {F, FSz} = lfield_io(?ESC_TAG_LEN(?ESC_F_List_tail), TC, TSz),
    {lists:reverse(Acc, [F]), Sz + FSz, B2}.

%% Length of the cut part of a list: length/1 (a BIF, ~10x faster than counting in Erlang) for a
%% proper list, which the VM already copied whole into the trace message; an improper one is counted
%% up to ?MAX_COUNT.
-spec count_rest(list()) -> non_neg_integer().
count_rest(L) ->
    try length(L)
    catch error:badarg -> count(L, 0)
    end.

count([_ | T], N) when N < ?MAX_COUNT -> count(T, N + 1);
count([_ | _], N) -> N;
count(_, N) -> N.

cap_elems(_T, I, N, _D, _L, B, Acc, Sz) when I > N ->
    {lists:reverse(Acc), Sz, B};
cap_elems(T, I, N, D, L, B, Acc, Sz) ->
    {C, CSz, B2} = cap(element(I, T), D, L, B),
    {F, FSz} = lfield_io(?ESC_TAG_LEN(?ESC_F_Tuple_items), C, CSz),
    cap_elems(T, I + 1, N, D, L, B2, [F | Acc], Sz + FSz).

take(none, _N) -> [];
take(_Iter, 0) -> [];
take({K, V, Iter}, N) -> [{K, V} | take(maps:next(Iter), N - 1)].

cap_entries([], _D, _L, B, Acc, Sz) ->
    {lists:reverse(Acc), Sz, B};
cap_entries([{K, V} | Rest], D, L, B, Acc, Sz) ->
    {KC, KSz, B2} = cap(K, D, L, B),
    {VC, VSz, B3} = cap(V, D, L, B2),
    {KF, KFSz} = lfield_io(?ESC_TAG_LEN(?ESC_F_MapEntry_key), KC, KSz),
    {VF, VFSz} = lfield_io(?ESC_TAG_LEN(?ESC_F_MapEntry_value), VC, VSz),
    {E, ESz} = lfield_io(?ESC_TAG_LEN(?ESC_F_Map_entries), [KF | VF], KFSz + VFSz),
    cap_entries(Rest, D, L, B3, [E | Acc], Sz + ESz).

%% Length-delimited field with a one-byte key, from a binary / from iodata of known size.
lfield(Key, Bin) ->
    lfield_io(Key, Bin, byte_size(Bin)).

lfield_io(Key, Io, Sz) when Sz < 128 ->
    {[Key, Sz | Io], Sz + 2};
lfield_io(Key, Io, Sz) ->
    V = varint(Sz),
    {[Key, V | Io], Sz + 1 + byte_size(V)}.

%% proto3 bytes/string field: empty is the default and is omitted.
-spec field_str(pos_integer(), binary()) -> binary().
field_str(F, Bin) -> bytes_field(F, Bin).

bytes_field(_F, <<>>) -> <<>>;
bytes_field(F, Bin) -> field_bytes(F, Bin).

%% The same few processes call, send and reply over and over: a pid's rendering is kept per encoder
%% process (pid_to_list and the framing cost ~0.3 µs a time), for at most ?PID_CACHE pids, after
%% which the cache starts over. A pid's text never changes, so an entry cannot go stale.
-spec pid_bin(pid()) -> binary().
pid_bin(P) ->
    element(1, pid_entry(P)).

pid_field(P) ->
    element(2, pid_entry(P)).

pid_entry(P) ->
    case get({?MODULE, P}) of
        undefined ->
            Bin = list_to_binary(pid_to_list(P)),
            E = {Bin, lfield(?ESC_TAG_LEN(?ESC_F_Term_pid), opaque(node(P), Bin))},
            N = case get(?MODULE) of undefined -> 0; C -> C end,
            case N >= ?PID_CACHE of
                true -> [erase(K) || {{?MODULE, _} = K, _} <- get()], put(?MODULE, 1);
                false -> put(?MODULE, N + 1)
            end,
            put({?MODULE, P}, E),
            E;
        E -> E
    end.

opaque(Node, Repr) when is_binary(Repr) ->
    <<(bytes_field(?ESC_F_Opaque_node, atom_to_binary(Node, utf8)))/binary, (bytes_field(?ESC_F_Opaque_repr, Repr))/binary>>;
opaque(Node, Repr) ->
    <<(bytes_field(?ESC_F_Opaque_node, atom_to_binary(Node, utf8)))/binary,
      (bytes_field(?ESC_F_Opaque_repr, list_to_binary(Repr)))/binary>>.

%% A fun's name: empty when its module is not loaded (the VM then reports [] instead of an atom,
%% e.g. for a fun that arrived in a message from a node running other code).
-spec fun_name(function()) -> binary().
fun_name(F) ->
    case erlang:fun_info(F, name) of
        {name, N} when is_atom(N) -> atom_to_binary(N, utf8);
        _ -> <<>>
    end.

fun_msg(F) ->
    {module, M} = erlang:fun_info(F, module),
    {arity, A} = erlang:fun_info(F, arity),
    {type, Type} = erlang:fun_info(F, type),
    Ext = case Type of external -> <<(?ESC_TAG_VARINT(?ESC_F_Fun_external)), 1>>; _ -> <<>> end,
    <<(bytes_field(?ESC_F_Fun_module, atom_to_binary(M, utf8)))/binary, (bytes_field(?ESC_F_Fun_name, fun_name(F)))/binary,
      (field_varint(?ESC_F_Fun_arity, A))/binary, Ext/binary,
      (bytes_field(?ESC_F_Fun_repr, list_to_binary(erlang:fun_to_list(F))))/binary>>.
