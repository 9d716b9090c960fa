%% Named bindings for a call event: which clause matched, and its variables by their source names.
%%
%% Why: a call trace message only carries the argument list; the Debug pane should show `amount`,
%% `state`, `balance` — not `arg1` or the compiler's `_amount@1`. The clause heads (patterns and
%% guards) come from the debug info as Erlang abstract code (esc_bp_resolve), and are matched
%% against the real arguments with erl_eval, in the agent's process, never in the traced one.
%% Elixir renames variables (`amount` → `_amount@1`, `_from` → `__from@1`, temporaries `_@1`) and
%% shadowing makes several versions (`_state@1`, `_state@2`) of one name: each maps back to its
%% source name, the latest version wins. Names starting with `_` in the source are left out.
%%
%% Clause tables are cached per function in the esc_bp_forms table, keyed by the loaded module's
%% md5, so a hit costs one erl_eval match per clause tried.
-module(esc_bp_bind).

-export([bind/3, match/3, names/3, clauses/3]).

-export_type([bound/0]).

-type bound() :: #{clause := pos_integer(), line := non_neg_integer(),
                   bindings := [{binary(), term()}]}.

%% The clause of M:F/length(Args) that these arguments select, and its named bindings.
-spec bind(module(), atom(), [term()]) -> {ok, bound()} | {error, nomatch | esc_bp_resolve:failure()}.
bind(M, F, Args) when is_list(Args) ->
    case clauses(M, F, length(Args)) of
        {ok, Lang, Clauses} -> match(Lang, Clauses, Args);
        Err -> Err
    end.

%% The function's clauses as {Index, HeadLine, ClauseForm} (cached), with the module's language.
-spec clauses(module(), atom(), arity()) ->
          {ok, esc_bp_resolve:lang(), [{pos_integer(), non_neg_integer(), tuple()}]} |
          {error, esc_bp_resolve:failure()}.
clauses(M, F, A) ->
    _ = esc_bp_store:ensure(),
    Md5 = try M:module_info(md5) catch _:_ -> none end,
    Key = {clauses, M, F, A},
    case ets:lookup(esc_bp_forms, Key) of
        [{_, Md5, Value}] when Md5 =/= none -> Value;
        _ ->
            Value = case esc_bp_resolve:function_info(M, F, A) of
                        {ok, #{lang := Lang}, #{clauses := Cs}} ->
                            {ok, Lang, [{I, L, C} || #{index := I, line := L, form := C} <- Cs]};
                        Err -> Err
                    end,
            ets:insert(esc_bp_forms, {Key, Md5, Value}),
            Value
    end.

%% First clause whose head (patterns and guards) accepts Args.
-spec match(esc_bp_resolve:lang(), [{pos_integer(), non_neg_integer(), tuple()}], [term()]) ->
          {ok, bound()} | {error, nomatch}.
match(_Lang, [], _Args) ->
    {error, nomatch};
match(Lang, [{I, L, {clause, _, Head, _, _} = C} | Rest], Args) ->
    Head1 = {clause, element(2, C), Head, element(4, C), [{atom, erl_anno:new(0), ok}]},
    case catch erl_eval:match_clause([Head1], Args, erl_eval:new_bindings(), none) of
        {_Body, Bs} ->
            {ok, #{clause => I, line => L, bindings => names(Lang, esc_probe_ast:pattern_vars(Head), Bs)}};
        _ ->
            match(Lang, Rest, Args)
    end.

%% [{SourceName, Value}] for the variables Vars (binding order) found in the erl_eval bindings.
-spec names(esc_bp_resolve:lang(), [atom()], erl_eval:binding_struct()) -> [{binary(), term()}].
names(Lang, Vars, Bs) ->
    Named = [{N, V} || Var <- Vars, N <- [esc_bp_resolve:source_name(Lang, Var)], N =/= none,
                       not is_underscore(N), {value, V} <- [erl_eval:binding(Var, Bs)]],
    latest(Named).

%% Keeps the last binding of each name, at the position of its first appearance.
latest(Named) ->
    Last = maps:from_list(Named),
    {Out, _} = lists:foldl(fun({N, _}, {Acc, Seen}) ->
                                   case maps:is_key(N, Seen) of
                                       true -> {Acc, Seen};
                                       false -> {[{N, maps:get(N, Last)} | Acc], Seen#{N => true}}
                                   end
                           end, {[], #{}}, Named),
    lists:reverse(Out).

is_underscore(<<"_", _/binary>>) -> true;
is_underscore(_) -> false.
