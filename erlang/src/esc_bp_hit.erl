%% What a breakpoint hit does: a call tagged by a breakpoint's match specification (esc_bp_ms)
%% checked against the breakpoints it names, counted, and turned into stops and log messages.
%%
%% A call that hits arrives as {trace_ts, Pid, call, {M, F, Args}, Tag, Ts} (one element more than
%% an untagged call) with Tag = {esc_bp, Ids} (the VM checked everything) or {esc_bp_check, Ids}
%% (the agent must check: the clause is re-matched with esc_bp_bind and the condition's compiled
%% fun runs over the named bindings), and the stack the VM took (with_stack/1 of esc_bp_ms).
%% on_hit(Prepared, Msg, Counts) returns what to do: [{stop, Id}] and [{log, Id, Text}]
%% ({cond_raised, Id, What}: the condition raised, so it counts as false; the breakpoint set counts
%% it), plus the matched clause and named bindings for the CALL (or LINE) event, and the updated hit
%% counts. Calls on a probe stub module ('esc_probe@...', see esc_probe) are LINE events.
-module(esc_bp_hit).

-export([on_hit/3, hit_stack/1]).

%% What to do with a tagged trace message (see the module doc). Counts: hit counts per id (after
%% the condition), kept by the caller. Returns the actions, the event's clause/line/bindings
%% (none when the arguments match no targeted clause), and the new counts.
-spec on_hit([esc_bp_plan:prepared()], tuple(), #{pos_integer() => non_neg_integer()} | fun((pos_integer()) -> pos_integer())) ->
          {[{stop, pos_integer()} | {log, pos_integer(), binary()} | {cond_raised, pos_integer(), binary()}],
           #{clause := non_neg_integer(), line := non_neg_integer(), bindings := [{binary(), term()}]} | none,
           #{pos_integer() => non_neg_integer()}}.
on_hit(Prepared, Msg, Counts) ->
    case decode(Msg) of
        {MFA, Args, Tag} when (tuple_size(Tag) =:= 2 orelse tuple_size(Tag) =:= 3) andalso
                              (element(1, Tag) =:= esc_bp orelse element(1, Tag) =:= esc_bp_check) ->
            Mode = element(1, Tag),
            Ids = element(2, Tag),
            Bound = bound(MFA, Args),
            Hits = [{P, R} || #{id := Id} = P <- Prepared, lists:member(Id, Ids),
                              R <- [hit(P, MFA, Mode, Bound)], R =/= false],
            lists:foldl(fun({#{id := Id}, {raised, Why}}, {Acts, B, Cs}) ->
                                {Acts ++ [{cond_raised, Id, Why}], B, Cs};
                           ({#{id := Id, hit := H, log := Log}, true}, {Acts, B, Cs}) ->
                                {N, Cs2} = count(Id, Cs),
                                case esc_bp_hitcond:hit_ok(H, N) of
                                    false -> {Acts, B, Cs2};
                                    true when Log =:= none -> {Acts ++ [{stop, Id}], B, Cs2};
                                    true -> {Acts ++ [{log, Id, esc_bp_log:format_log(Log, bindings_of(B))}], B, Cs2}
                                end
                        end, {[], Bound, Counts}, Hits);
        _ -> {[], none, Counts}
    end.

%% Counts is a map kept by the caller, or a fun(Id) -> NewCount (e.g. an atomics counter shared
%% by the engine's encoders).
count(Id, Cs) when is_function(Cs, 1) -> {Cs(Id), Cs};
count(Id, Cs) ->
    N = maps:get(Id, Cs, 0) + 1,
    {N, Cs#{Id => N}}.

decode({trace_ts, _, call, {M, F, Args}, Tag, _}) -> {{M, F, length(Args)}, Args, Tag};
decode({trace, _, call, {M, F, Args}, Tag}) -> {{M, F, length(Args)}, Args, Tag};
decode(_) -> none.

bound({Stub, F, _} = _MFA, Args) ->
    case esc_probe:describe(Stub, F) of
        {ok, #{clause := I, line := L} = P} -> #{clause => I, line => L, bindings => esc_probe:bindings(P, Args)};
        error ->
            {M, Fn, _} = _MFA,
            case esc_bp_bind:bind(M, Fn, Args) of
                {ok, B} -> B;
                _ -> none
            end
    end.

bindings_of(none) -> [];
bindings_of(#{bindings := B}) -> B.

%% true when an entry for this call passes, else {raised, What} when a condition raised, else false.
hit(#{entries := Es}, MFA, Mode, Bound) ->
    Here = [C || #{mfa := M, clause := CI, condition := C} = E <- Es, M =:= MFA,
                 maps:is_key(probe, E) orelse CI =:= 0 orelse
                     (Bound =/= none andalso CI =:= maps:get(clause, Bound))],
    lists:foldl(fun(_, true) -> true;
                   (C, Acc) ->
                        case Mode =:= esc_bp orelse C =:= none orelse esc_bp_cond:try_eval(C, bindings_of(Bound)) of
                            false -> Acc;
                            Passed -> Passed
                        end
                end, false, Here).

%% The stack a hit's tag carries, innermost (the caller) first, as {M, F, Arity, File, Line}
%% (File <<>> and Line 0 when unknown); [] for a tag without one. The called function itself is
%% not part of it.
-spec hit_stack(tuple()) -> [{module(), atom(), arity(), binary(), non_neg_integer()}].
hit_stack({trace_ts, _, call, {M, F, Args}, {_, _, Stack}, _}) -> stack_entries({M, F, length(Args)}, Stack);
hit_stack({trace, _, call, {M, F, Args}, {_, _, Stack}}) -> stack_entries({M, F, length(Args)}, Stack);
hit_stack(_) -> [].

stack_entries({M, F, A}, [{M, F, Ar, _} | Rest]) when Ar =:= A; is_list(Ar), length(Ar) =:= A ->
    stack_entries(none, Rest);
stack_entries(_Called, Stack) when is_list(Stack) ->
    [{M, F, arity(Ar), loc_file(Loc), loc_line(Loc)} || {M, F, Ar, Loc} <- Stack, is_atom(M), is_atom(F)];
stack_entries(_Called, {M, F, A}) when is_atom(M), is_atom(F), is_integer(A) -> [{M, F, A, <<>>, 0}];
stack_entries(_Called, _) -> [].

arity(A) when is_integer(A) -> A;
arity(Args) when is_list(Args) -> length(Args).

loc_file(Loc) ->
    case lists:keyfind(file, 1, Loc) of
        {file, F} -> unicode:characters_to_binary(F);
        false -> <<>>
    end.

loc_line(Loc) ->
    case lists:keyfind(line, 1, Loc) of
        {line, L} when is_integer(L), L > 0 -> L;
        _ -> 0
    end.
