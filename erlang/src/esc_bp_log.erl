%% Log messages of log points: `"withdraw {amount} from {state.id}"` (`\{` for a literal brace),
%% parsed once into text and expression parts, rendered over each hit's bindings.
%%
%% Parts in the guard subset are interpreted (esc_bp_guard); others compile once into a fun as
%% conditions do (esc_bp_cond), and with side effects refused only esc_pure's rewrite of them runs.
%% A part that fails prints as <error: ...>: a log point never crashes anything.
-module(esc_bp_log).

-export([log_message/1, log_message/2, format_log/2]).

-export_type([log/0]).

-type log() :: [binary() | {expr | pure_expr, binary(), term()}].

%% Parses a log message template: text with `{expression}` parts (`\{` is a literal brace).
-spec log_message(binary() | string()) -> {ok, log()} | {error, binary()}.
log_message(Src) ->
    try {ok, log_parts(unicode:characters_to_list(Src), [], [])}
    catch throw:{log_error, Msg} -> {error, Msg}
    end.

%% The same; with Effects refuse a part calling anything off the pure allow-list is an error, and
%% the parts are pure_expr (format_log/2 then runs only esc_pure's rewrite of them). The clause's
%% names are not known here: a one-part alias that is not called (`State`, `State.balance`) is read
%% as the variable it names in an Erlang source; format_log/2 checks again with the real names.
-spec log_message(binary() | string(), esc_bp_cond:effects()) -> {ok, log()} | {error, binary()}.
log_message(Src, allow) -> log_message(Src);
log_message(Src, refuse) ->
    case log_message(Src) of
        {ok, Parts} ->
            Refused = [Why || {expr, _, Ast} <- Parts,
                              {refused, Why} <- [esc_pure:check(esc_bp_cond:erlang_vars(Ast, alias_names(Ast, #{})), log)]],
            case Refused of
                [] -> {ok, [case P of {expr, S, A} -> {pure_expr, S, A}; _ -> P end || P <- Parts]};
                [Why | _] -> {error, Why}
            end;
        Error -> Error
    end.

alias_names({'__aliases__', _, [Name]}, Acc) when is_atom(Name) -> Acc#{atom_to_binary(Name, utf8) => none};
alias_names({{'.', _, [{'__aliases__', _, _} = Alias, _]}, Meta, Args}, Acc) when is_list(Meta), is_list(Args) ->
    case Args =:= [] andalso lists:keyfind(no_parens, 1, Meta) =:= {no_parens, true} of
        true -> alias_names(Alias, Acc);      % State.balance: a field of the variable State
        false -> alias_names(Args, Acc)       % Foo.bar(...): a call on the module Foo
    end;
alias_names({A, _, Args}, Acc) when is_list(Args) -> alias_names(Args, alias_names(A, Acc));
alias_names({A, B}, Acc) -> alias_names(B, alias_names(A, Acc));
alias_names(L, Acc) when is_list(L) -> lists:foldl(fun alias_names/2, Acc, L);
alias_names(_, Acc) -> Acc.

log_parts([], Text, Acc) -> lists:reverse(add_text(Text, Acc));
log_parts([$\\, C | T], Text, Acc) when C =:= ${; C =:= $} -> log_parts(T, [C | Text], Acc);
log_parts([${ | T], Text, Acc) ->
    {Expr, Rest} = take_expr(T, 0, []),
    Src = unicode:characters_to_binary(string:trim(Expr)),
    case esc_bp_cond:parse(Src) of
        {ok, Ast} -> log_parts(Rest, [], [{expr, Src, Ast} | add_text(Text, Acc)]);
        {error, Msg} -> throw({log_error, esc_lib:fmt("In log message part {~ts}: ~ts", [Src, Msg])})
    end;
log_parts([C | T], Text, Acc) -> log_parts(T, [C | Text], Acc).

take_expr([], _, _) -> throw({log_error, <<"Unclosed { in log message (use \\{ for a literal brace).">>});
take_expr([$} | T], 0, Acc) -> {lists:reverse(Acc), T};
take_expr([$} | T], D, Acc) -> take_expr(T, D - 1, [$} | Acc]);
take_expr([${ | T], D, Acc) -> take_expr(T, D + 1, [${ | Acc]);
take_expr([C | T], D, Acc) -> take_expr(T, D, [C | Acc]).

add_text([], Acc) -> Acc;
add_text(Text, Acc) -> [unicode:characters_to_binary(lists:reverse(Text)) | Acc].

%% Renders a log message over bindings: each part evaluated with the condition subset (names,
%% .field, [key], elem/hd/tl/length/...); strings print as-is, other terms in Elixir syntax.
%% A part that fails prints as <error: ...> so a log point never crashes anything.
-spec format_log(log(), [{binary(), term()}]) -> binary().
format_log(Parts, Bindings) ->
    B = maps:from_list(Bindings),
    iolist_to_binary([case P of
                          {Kind, Src, Ast} when Kind =:= expr; Kind =:= pure_expr ->
                              try render(esc_bp_guard:interp(Ast, B))
                              catch _:_ ->
                                      case log_fun(Ast, B, case Kind of expr -> allow; pure_expr -> refuse end) of
                                          {ok, V} -> render(V);
                                          error -> [<<"<error: ">>, Src, <<">">>]
                                      end
                              end;
                          Text -> Text
                      end || P <- Parts]).

%% A part outside the interpreted subset (`Enum.count(list)`): compiled once per set of names
%% (cached in the calling process's dictionary) and run over the bindings.
log_fun(Ast, B, Effects) ->
    Key = {esc_bp_log_fun, Ast, Effects, lists:sort(maps:keys(B))},
    Compiled = case get(Key) of
                   undefined ->
                       Ast2 = esc_bp_cond:erlang_vars(Ast, B),
                       C = case {code:ensure_loaded('Elixir.Code'), esc_bp_guard:guard(Ast2, maps:map(fun(_, _) -> '$1' end, B))} of
                               {_, {unbound, _}} -> {error, unbound};
                               {{module, _}, _} -> esc_bp_cond:compile_checked(Ast2, maps:keys(B), Effects, log);
                               _ -> {error, no_elixir}
                           end,
                       put(Key, C),
                       C;
                   C -> C
               end,
    case Compiled of
        {ok, {Fun, Names}} ->
            try {ok, Fun([maps:get(N, B) || N <- Names])} catch _:_ -> error end;
        _ -> error
    end.

render(V) when is_binary(V) ->
    case unicode:characters_to_binary(V) of
        V -> V;
        _ -> inspect(V)
    end;
render(V) -> inspect(V).

inspect(V) ->
    case erlang:function_exported('Elixir.Kernel', inspect, 2) of
        true -> 'Elixir.Kernel':inspect(V, [{limit, 50}]);
        false -> esc_lib:fmt("~0tp", [V])
    end.
