%% Breakpoint conditions: parsed and compiled once when the breakpoint is set, evaluated by the agent
%% for the calls the match specification could not decide.
%%
%% Why two forms: a condition that the VM checks itself (the trace pattern's match specification)
%% costs ~0.3 µs when false and sends nothing, so the traced code barely notices a breakpoint that
%% never fires. So the condition (an Elixir expression over the clause's source names) is
%% translated to a match-spec guard when it is in the guard subset (esc_bp_guard), over the
%% expressions the clause head gives each name (esc_bp_head). A condition outside that subset
%% compiles ONCE into a fun (Elixir's own compiler through Code.eval_quoted of
%% `fn [names] -> condition end`, evaluated by the agent over the named bindings of each call); the
%% match spec then only filters on the clause head and tags the message for that check.
%% A condition that does not parse or compile is {error, Message} with the compiler's message.
%% With side effects refused (compile/3, esc_bp_log:log_message/2: the default unless the launch
%% configuration sets allowSideEffects), a condition calling anything off esc_pure's allow-list is
%% {error, Message} naming the call, and the fun runs esc_pure's rewrite of the expression (`x.f`
%% reads a map field, never calls a module held in x). The match spec is the same either way: it
%% holds only guard BIFs. try_eval/2 says when a condition raised, so the agent can count it.
%% Elixir is called dynamically ('Elixir.Code'), so the agent compiles without it.
-module(esc_bp_cond).

-export([parse/1, compile/2, compile/3, eval/2, try_eval/2, erlang_vars/2, compile_checked/4]).

-export_type([condition/0, effects/0]).

%% A condition compiled for one set of available names: the match-spec guard when it has one,
%% the fun (over the values of `names`, in order) otherwise or in addition.
-type condition() :: #{source := binary(), ast := term(), ms := term() | none,
                       fn := {fun(([term()]) -> term()), [binary()]} | none}.
%% Whether conditions and log messages may call functions off the pure allow-list.
-type effects() :: allow | refuse.

%% Parses Elixir source into quoted form.
-spec parse(binary() | string()) -> {ok, term()} | {error, binary()}.
parse(Src) ->
    case code:ensure_loaded('Elixir.Code') of
        {module, _} ->
            try 'Elixir.Code':string_to_quoted(esc_lib:to_bin(Src), [{file, <<"condition">>}]) of
                {ok, Ast} -> {ok, Ast};
                {error, {Meta, Msg, Token}} -> {error, syntax_message(Meta, Msg, Token)}
            catch
                C:R -> {error, esc_lib:fmt("~p: ~0tp", [C, R])}
            end;
        _ ->
            {error, <<"Conditions and log messages are Elixir expressions, and Elixir is not loaded on this node.">>}
    end.

syntax_message(Meta, Msg, Token) ->
    Line = case Meta of
               L when is_integer(L) -> L;
               _ when is_list(Meta) -> proplists:get_value(line, Meta, 1);
               _ -> 1
           end,
    Text = case Msg of
               {A, B} -> [A, B];
               _ -> Msg
           end,
    Tok = case esc_lib:to_bin(Token) of <<>> -> <<"end of expression">>; T -> T end,
    iolist_to_binary(["syntax error (line ", integer_to_binary(Line), "): ", esc_lib:to_bin(Text), Tok]).

%% Compiles a parsed condition for a clause whose source names are Available: a match-spec guard
%% when the subset allows, and a fun (validated by Elixir's compiler) always when Elixir is there.
-spec compile(term(), #{binary() => term()} | [binary()]) -> {ok, condition()} | {error, binary()}.
compile(Ast, Names) -> compile(Ast, Names, allow).

%% The same, refusing calls off the pure allow-list when Effects is refuse.
-spec compile(term(), #{binary() => term()} | [binary()], effects()) -> {ok, condition()} | {error, binary()}.
compile(Ast0, Names, Effects) when is_map(Names) ->
    Ast = erlang_vars(Ast0, Names),
    case esc_bp_guard:guard(Ast, Names) of
        {unbound, Name} ->
            Avail = [N || N <- lists:sort(maps:keys(Names)), binary:first(N) =/= $_],
            {error, esc_lib:fmt("undefined variable ~s (variables here: ~s)",
                                [Name, case Avail of [] -> "none"; _ -> lists:join(", ", Avail) end])};
        G ->
            Ms = case G of {ok, Guard} -> Guard; _ -> none end,
            case compile_checked(Ast, maps:keys(Names), Effects, condition) of
                {ok, Fn} -> {ok, #{source => esc_lib:to_bin('Elixir.Macro':to_string(Ast)), ast => Ast, ms => Ms, fn => Fn}};
                {error, _} = E -> E
            end
    end;
compile(Ast, Names, Effects) when is_list(Names) ->
    compile(Ast, maps:from_list([{N, none} || N <- Names]), Effects).

%% compile_fun/2, of esc_pure's rewrite when side effects are refused. A refused expression that
%% does not compile anyway gets the compiler's message (an undefined function is said as such).
-spec compile_checked(term(), [binary()], effects(), condition | log) ->
          {ok, {fun(([term()]) -> term()), [binary()]}} | {error, binary()}.
compile_checked(Ast, Available, allow, _Use) -> compile_fun(Ast, Available);
compile_checked(Ast, Available, refuse, Use) ->
    case esc_pure:check(Ast, Use) of
        {ok, Pure} -> compile_fun(Pure, Available);
        {refused, Why} ->
            case compile_fun(Ast, Available) of
                {error, _} = E -> E;
                {ok, _} -> {error, Why}
            end
    end.

%% In an Erlang source the names are Erlang variables (`Y > 10`), which Elixir reads as aliases:
%% a one-part alias that names a binding becomes that variable.
-spec erlang_vars(term(), #{binary() => term()}) -> term().
erlang_vars({'__aliases__', Meta, [Name]} = A, Names) when is_atom(Name) ->
    case maps:is_key(atom_to_binary(Name, utf8), Names) of
        true -> {Name, Meta, nil};
        false -> A
    end;
erlang_vars({A, M, Args}, Names) when is_list(Args) ->
    {erlang_vars(A, Names), M, [erlang_vars(X, Names) || X <- Args]};
erlang_vars({A, B}, Names) -> {erlang_vars(A, Names), erlang_vars(B, Names)};
erlang_vars(L, Names) when is_list(L) -> [erlang_vars(X, Names) || X <- L];
erlang_vars(X, _Names) -> X.

compile_fun(Ast, Available) ->
    Used = [N || N <- free_vars(Ast), lists:member(N, Available)],
    Vars = [{binary_to_atom(N, utf8), [], nil} || N <- Used],
    Fn = {fn, [], [{'->', [], [[Vars], Ast]}]},
    case eval_collecting(fun() -> 'Elixir.Code':eval_quoted(Fn, [], []) end) of
        {{ok, {Fun, _}}, _} when is_function(Fun, 1) -> {ok, {Fun, Used}};
        {_, [_ | _] = Diagnostics} -> {error, iolist_to_binary(lists:join(<<"; ">>, Diagnostics))};
        {{caught, error, E}, []} when is_map(E) -> {error, esc_lib:to_bin('Elixir.Exception':message(E))};
        {{caught, C, R}, []} -> {error, esc_lib:fmt("~p: ~0tp", [C, R])}
    end.

%% Runs Eval and returns {Result, ErrorMessages}. Elixir >= 1.15 reports compile errors as
%% diagnostics and raises only "cannot compile file (errors have been logged)": collect them
%% (without logging them into the user's console) so the message says what is wrong.
eval_collecting(Eval) ->
    Guarded = fun() -> try {ok, Eval()} catch C:R -> {caught, C, R} end end,
    case erlang:function_exported('Elixir.Code', with_diagnostics, 2) of
        true ->
            {Result, Diags} = 'Elixir.Code':with_diagnostics([{log, false}], Guarded),
            {Result, [esc_lib:to_bin(maps:get(message, D, <<>>)) || D <- Diags, maps:get(severity, D, error) =:= error]};
        false ->
            {Guarded(), []}
    end.

%% Names the expression refers to (variables), in order, without duplicates.
free_vars(Ast) ->
    lists:reverse(fv(Ast, [])).

fv({Name, Meta, Ctx}, Acc) when is_atom(Name), is_list(Meta), is_atom(Ctx) ->
    N = atom_to_binary(Name, utf8),
    case lists:member(N, Acc) of true -> Acc; false -> [N | Acc] end;
fv({A, _Meta, Args}, Acc) when is_list(Args) -> fv(Args, fv(A, Acc));
fv({A, B}, Acc) -> fv(B, fv(A, Acc));
fv(L, Acc) when is_list(L) -> lists:foldl(fun fv/2, Acc, L);
fv(_, Acc) -> Acc.

%% Evaluates a compiled condition over [{Name, Value}] bindings (agent side). Any exception, or
%% an unbound name, means false.
-spec eval(condition(), [{binary(), term()}]) -> boolean().
eval(C, Bindings) -> try_eval(C, Bindings) =:= true.

%% eval/2 that also says when the condition itself raised ({raised, What}: the exception's name,
%% e.g. <<"ArgumentError">>); an unbound name is just false (the clause has no such binding).
-spec try_eval(condition(), [{binary(), term()}]) -> boolean() | {raised, binary()}.
try_eval(#{fn := {Fun, Names}}, Bindings) ->
    case values(Names, Bindings) of
        unbound -> false;
        Values ->
            try esc_bp_guard:truthy(Fun(Values))
            catch Class:Reason:Stack -> {raised, raised_name(Class, Reason, Stack)}
            end
    end;
try_eval(#{ast := Ast}, Bindings) ->
    try esc_bp_guard:truthy(esc_bp_guard:interp(Ast, maps:from_list(Bindings))) catch _:_ -> false end.

values(Names, Bindings) ->
    try [case lists:keyfind(N, 1, Bindings) of {_, V} -> V; false -> throw(unbound) end || N <- Names]
    catch throw:unbound -> unbound
    end.

%% As Elixir would name it: badarg from hd([]) is an ArgumentError.
raised_name(error, Reason, Stack) ->
    Normalized = try 'Elixir.Exception':normalize(error, Reason, Stack) catch _:_ -> Reason end,
    case Normalized of
        #{'__struct__' := Mod} when is_atom(Mod) ->
            case atom_to_binary(Mod, utf8) of <<"Elixir.", Name/binary>> -> Name; Name -> Name end;
        _ -> esc_lib:fmt("~0tP", [Reason, 4])
    end;
raised_name(Class, _Reason, _Stack) ->
    atom_to_binary(Class, utf8).
