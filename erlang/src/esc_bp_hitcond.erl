%% Hit conditions: `3`, `== 3`, `>= 3`, `> 3`, `< 3`, `<= 3`, `!= 3`, `% 10`; a bare number means
%% `>= N`, as in VS Code's JavaScript debugger. Parsed once, then a pure function of the hit count.
-module(esc_bp_hitcond).

-export([hit_condition/1, hit_ok/2]).

-export_type([hit/0]).

-type hit() :: none | {'>=' | '>' | '==' | '<' | '=<' | '/=' | 'rem', non_neg_integer()}.

-spec hit_condition(binary() | string() | undefined) -> {ok, hit()} | {error, binary()}.
hit_condition(undefined) -> {ok, none};
hit_condition(Src) ->
    S = string:trim(unicode:characters_to_list(Src)),
    case S of
        "" -> {ok, none};
        _ ->
            case re:run(S, "^(==|===|=|>=|>|<=|<|!=|%)?\\s*([0-9]+)$", [{capture, all_but_first, list}]) of
                {match, [Op, N]} -> {ok, {hit_op(Op), list_to_integer(N)}};
                {match, [N]} -> {ok, {'>=', list_to_integer(N)}};
                nomatch -> {error, esc_lib:fmt("Invalid hit count \"~ts\": use a number (3), == 3, >= 3, > 3, < 3, <= 3, "
                                               "!= 3 or % 10 (every 10th hit).", [S])}
            end
    end.

hit_op("") -> '>=';
hit_op("==") -> '==';
hit_op("===") -> '==';
hit_op("=") -> '==';
hit_op(">=") -> '>=';
hit_op(">") -> '>';
hit_op("<=") -> '=<';
hit_op("<") -> '<';
hit_op("!=") -> '/=';
hit_op("%") -> 'rem'.

%% Whether the Count-th hit (1-based, counted after the condition) stops/logs.
-spec hit_ok(hit(), pos_integer()) -> boolean().
hit_ok(none, _) -> true;
hit_ok({'rem', 0}, _) -> false;
hit_ok({'rem', N}, C) -> C rem N =:= 0;
hit_ok({Op, N}, C) -> erlang:Op(C, N).
