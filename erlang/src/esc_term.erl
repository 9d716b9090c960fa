%% Bounded capture of any Erlang term into the wire schema's Term message (as an esc_proto map).
%% Runs in agent processes, never in the traced process. A list, tuple or map that fits the budget
%% is sent whole in the external term format (`etf`), exact. Every cut is visible on the wire:
%% depth cuts become `truncated`, item cuts carry `omitted`, byte cuts carry `omitted_bytes`, and a
%% whole-event node budget turns the rest into `truncated` with reason 'SIZE'.
-module(esc_term).

-export([capture/2, capture/1, default_limits/0, limits/1, to_term/1]).

-export_type([limits/0, term_msg/0]).

-include("esc_proto.hrl").

-type limits() :: #{depth => pos_integer(), items => pos_integer(),
                    binary_bytes => pos_integer(), budget => pos_integer(),
                    whole => boolean()}.  % false: never Term.etf (tests of the level-by-level capture)
-type term_msg() :: #{value => {atom(), term()}}.

%% Integers beyond this travel as big_int so that JavaScript numbers stay exact.
-define(MAX_SAFE_INT, 9007199254740992).

%% Defaults keep a typical event (a GenServer state of a few dozen keys) under a few KB.
-spec default_limits() -> #{depth := 8, items := 32, binary_bytes := 256, budget := 2000}.
default_limits() ->
    #{depth => 8, items => 32, binary_bytes => 256, budget => 2000}.

%% Fills missing or zero limits (the wire's "0 = default") with the defaults. Depth is clamped to
%% what the adapter's decoder accepts (ESC_MAX_CAPTURE_DEPTH, generated with the schema).
-spec limits(map()) -> limits().
limits(Given) ->
    L = maps:fold(fun(K, Default, Acc) ->
                          case maps:get(K, Given, 0) of
                              N when is_integer(N), N > 0 -> Acc#{K => N};
                              _ -> Acc#{K => Default}
                          end
                  end, #{}, default_limits()),
    L#{depth := min(maps:get(depth, L), ?ESC_MAX_CAPTURE_DEPTH)}.

-spec capture(term()) -> term_msg().
capture(Term) ->
    capture(Term, default_limits()).

-spec capture(term(), limits()) -> term_msg().
capture(Term, Limits0) ->
    #{depth := Depth, items := Items, binary_bytes := Bytes, budget := Budget} = limits(Limits0),
    {Msg, _Left} = cap(Term, Depth, {Items, Bytes, maps:get(whole, Limits0, true) =/= false}, Budget),
    Msg.

%% cap(Term, DepthLeft, {Items, Bytes, Whole}, BudgetLeft) -> {TermMsg, BudgetLeft}
cap(_Term, _D, _L, B) when B =< 0 ->
    {#{value => {truncated, #{reason => 'SIZE'}}}, 0};
cap(T, _D, _L, B) when is_atom(T) ->
    {#{value => {atom, atom_to_binary(T, utf8)}}, B - 1};
cap(T, _D, _L, B) when is_integer(T), T =< ?MAX_SAFE_INT, T >= -?MAX_SAFE_INT ->
    {#{value => {int, T}}, B - 1};
cap(T, _D, _L, B) when is_integer(T) ->
    {#{value => {big_int, #{negative => T < 0, magnitude => binary:encode_unsigned(abs(T))}}}, B - 1};
cap(T, _D, _L, B) when is_float(T) ->
    {#{value => {float, T}}, B - 1};
cap(T, _D, {_, Bytes, _}, B) when is_binary(T) ->
    Size = byte_size(T),
    case Size =< Bytes of
        true -> {#{value => {binary, #{data => T}}}, B - 1};
        false -> {#{value => {binary, #{data => binary:part(T, 0, Bytes), omitted_bytes => Size - Bytes}}}, B - 1}
    end;
cap(T, _D, {_, Bytes, _}, B) when is_bitstring(T) ->
    Whole = byte_size(T) - 1,
    case Whole < Bytes of
        true ->
            <<Head:Whole/binary, Tail/bitstring>> = T,
            Bits = bit_size(Tail),
            {#{value => {bitstring, #{data => <<Head/binary, Tail/bitstring, 0:(8 - Bits)>>,
                                      trailing_bits => Bits}}}, B - 1};
        false ->
            %% binary:part/3 refuses bitstrings on OTP >= 27: take the whole bytes by matching.
            <<Part:Bytes/binary, _/bitstring>> = T,
            {#{value => {binary, #{data => Part, omitted_bytes => byte_size(T) - Bytes}}}, B - 1}
    end;
cap(T, _D, _L, B) when is_pid(T) ->
    {#{value => {pid, opaque(node(T), pid_to_list(T))}}, B - 1};
cap(T, _D, _L, B) when is_port(T) ->
    {#{value => {port, opaque(node(T), erlang:port_to_list(T))}}, B - 1};
cap(T, _D, _L, B) when is_reference(T) ->
    {#{value => {ref, opaque(node(T), erlang:ref_to_list(T))}}, B - 1};
cap(T, _D, _L, B) when is_function(T) ->
    {#{value => {'fun', fun_msg(T)}}, B - 1};
cap(T, D, {_, _, false} = L, B) when is_list(T); is_tuple(T); is_map(T) ->
    cap_struct(T, D, L, B);
cap(T, D, L, B) when is_list(T), T =/= []; is_tuple(T); is_map(T) ->
    %% Whole when it fits the budget (see esc_trace_enc:etf_cost/2), else level by level.
    case esc_trace_enc:etf_cost(T, B) of
        none -> cap_struct(T, D, L, B);
        Cost -> {#{value => {etf, esc_trace_enc:etf(T)}}, B - Cost}
    end;
cap(T, D, L, B) ->
    cap_struct(T, D, L, B).

cap_struct(_T, D, _L, B) when D =< 0 ->
    {#{value => {truncated, #{reason => 'DEPTH'}}}, B - 1};
cap_struct(T, D, L, B) when is_list(T) ->
    cap_list(T, D - 1, L, B - 1);
cap_struct(T, D, {Items, _, _} = L, B) when is_tuple(T) ->
    Size = tuple_size(T),
    N = min(Size, Items),
    {Caps, B2} = cap_elems(T, 1, N, D - 1, L, B - 1, []),
    {#{value => {tuple, omitted(#{items => Caps}, Size - N)}}, B2};
cap_struct(T, D, {Items, _, _} = L, B) when is_map(T) ->
    Size = map_size(T),
    {Entries, B2} = cap_map(maps:next(maps:iterator(T)), min(Size, Items), D - 1, L, B - 1, []),
    {#{value => {map, omitted(#{entries => Entries}, Size - length(Entries))}}, B2}.

cap_list(T, D, {Items, _, _} = L, B) ->
    cap_list(T, D, L, B, Items, []).

cap_list([], _D, _L, B, _N, Acc) ->
    {#{value => {list, #{items => lists:reverse(Acc)}}}, B};
cap_list([_ | _] = Rest, _D, _L, B, 0, Acc) ->
    {#{value => {list, #{items => lists:reverse(Acc), omitted => esc_trace_enc:count_rest(Rest)}}}, B};
cap_list([H | T], D, L, B, N, Acc) ->
    {HC, B2} = cap(H, D, L, B),
    cap_list(T, D, L, B2, N - 1, [HC | Acc]);
cap_list(Improper, D, L, B, _N, Acc) ->
    {TC, B2} = cap(Improper, D, L, B),
    {#{value => {list, #{items => lists:reverse(Acc), tail => TC}}}, B2}.

cap_elems(_T, I, N, _D, _L, B, Acc) when I > N ->
    {lists:reverse(Acc), B};
cap_elems(T, I, N, D, L, B, Acc) ->
    {C, B2} = cap(element(I, T), D, L, B),
    cap_elems(T, I + 1, N, D, L, B2, [C | Acc]).

cap_map(none, _N, _D, _L, B, Acc) ->
    {lists:reverse(Acc), B};
cap_map(_Iter, 0, _D, _L, B, Acc) ->
    {lists:reverse(Acc), B};
cap_map({K, V, Iter}, N, D, L, B, Acc) ->
    {KC, B2} = cap(K, D, L, B),
    {VC, B3} = cap(V, D, L, B2),
    cap_map(maps:next(Iter), N - 1, D, L, B3, [#{key => KC, value => VC} | Acc]).

omitted(Msg, 0) -> Msg;
omitted(Msg, N) -> Msg#{omitted => N}.

opaque(Node, Repr) ->
    #{node => atom_to_binary(Node, utf8), repr => list_to_binary(Repr)}.

fun_msg(F) ->
    {module, M} = erlang:fun_info(F, module),
    {arity, A} = erlang:fun_info(F, arity),
    {type, Type} = erlang:fun_info(F, type),
    #{module => atom_to_binary(M, utf8), name => esc_trace_enc:fun_name(F), arity => A,
      external => Type =:= external, repr => list_to_binary(erlang:fun_to_list(F))}.

%% The inverse of capture/2, for evaluating with captured bindings: rebuilds the Erlang term when it
%% was captured whole. Anything cut by the limits, and local funs (their code cannot be named), make
%% it fail with a reason instead of producing a different value.
-spec to_term(term_msg()) -> {ok, term()} | {error, binary()}.
to_term(Msg) ->
    try {ok, rebuild(Msg)}
    catch throw:{esc_incomplete, Why} -> {error, Why}
    end.

rebuild(#{value := {atom, A}}) -> binary_to_atom(A, utf8);
rebuild(#{value := {int, N}}) -> N;
rebuild(#{value := {big_int, #{magnitude := M} = B}}) ->
    N = binary:decode_unsigned(M),
    case maps:get(negative, B, false) of true -> -N; false -> N end;
rebuild(#{value := {float, F}}) -> F;
rebuild(#{value := {binary, #{omitted_bytes := O}}}) when O > 0 -> throw({esc_incomplete, <<"a binary in it was cut by the capture limits (binary bytes)">>});
rebuild(#{value := {binary, B}}) -> maps:get(data, B, <<>>);
rebuild(#{value := {bitstring, #{data := D, trailing_bits := T}}}) ->
    Whole = byte_size(D) - 1,
    <<Head:Whole/binary, Last:T, _/bitstring>> = D,
    <<Head/binary, Last:T>>;
rebuild(#{value := {list, #{omitted := O}}}) when O > 0 -> throw({esc_incomplete, <<"a list in it was cut by the capture limits (items)">>});
rebuild(#{value := {list, L}}) ->
    Items = [rebuild(I) || I <- maps:get(items, L, [])],
    case maps:get(tail, L, undefined) of
        undefined -> Items;
        Tail -> lists:foldr(fun(H, T) -> [H | T] end, rebuild(Tail), Items)
    end;
rebuild(#{value := {tuple, #{omitted := O}}}) when O > 0 -> throw({esc_incomplete, <<"a tuple in it was cut by the capture limits (items)">>});
rebuild(#{value := {tuple, T}}) -> list_to_tuple([rebuild(I) || I <- maps:get(items, T, [])]);
rebuild(#{value := {map, #{omitted := O}}}) when O > 0 -> throw({esc_incomplete, <<"a map in it was cut by the capture limits (items)">>});
rebuild(#{value := {map, M}}) -> maps:from_list([{rebuild(K), rebuild(V)} || #{key := K, value := V} <- maps:get(entries, M, [])]);
rebuild(#{value := {pid, #{repr := R}}}) -> from_repr(fun list_to_pid/1, R);
rebuild(#{value := {port, #{repr := R}}}) -> from_repr(fun list_to_port/1, R);
rebuild(#{value := {ref, #{repr := R}}}) -> from_repr(fun list_to_ref/1, R);
rebuild(#{value := {'fun', #{external := true, module := M, name := F, arity := A}}}) ->
    erlang:make_fun(binary_to_atom(M, utf8), binary_to_atom(F, utf8), A);
rebuild(#{value := {'fun', _}}) -> throw({esc_incomplete, <<"it holds a local fun, which cannot be rebuilt from its capture">>});
rebuild(#{value := {etf, Bin}}) ->
    %% `safe`: a recording may come from another node run; never create atoms or funs from it.
    try binary_to_term(Bin, [safe])
    catch error:badarg -> throw({esc_incomplete, <<"it names atoms or code this node does not have">>})
    end;
rebuild(#{value := {truncated, _}}) -> throw({esc_incomplete, <<"part of it was cut by the capture limits (depth or size)">>});
rebuild(_) -> throw({esc_incomplete, <<"nothing of it was captured">>}).

from_repr(Fun, Repr) ->
    try Fun(binary_to_list(Repr))
    catch error:badarg -> throw({esc_incomplete, <<"it holds a pid, port or reference that this node cannot rebuild (from another node or an earlier run)">>})
    end.
