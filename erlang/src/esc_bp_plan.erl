%% A breakpoint prepared as a trace plan: the adapter's breakpoint resolved to the clauses or line
%% probes it applies to, with its condition, hit condition and log message compiled.
%%
%% Why this shape: a breakpoint must cost (almost) nothing when it does not fire, so everything
%% that can be decided inside the VM is: the adapter's breakpoint becomes trace patterns whose
%% match specifications carry the clause heads and the condition (esc_bp_ms); only calls that
%% hit produce a message, tagged with the breakpoint ids. What the VM cannot decide (conditions
%% outside the guard subset, clause heads a match spec cannot express exactly) is checked in the
%% agent, once per tagged message (esc_bp_hit). Hit counts and log messages are applied last, in
%% the agent.
%%
%% prepare(Spec, Opts) for each breakpoint the adapter sends (setBreakpoints /
%% setFunctionBreakpoints): resolves it (esc_bp_resolve), compiles the condition (esc_bp_cond),
%% hit condition (esc_bp_hitcond) and log message (esc_bp_log), and for a body line instruments
%% the module with line probes (esc_probe). {error, #{reason, message}} = unverified, with a
%% message for the user. The probes are restored by esc_probe:restore_all() on disconnect (also
%% automatic when the `owner` given to prepare exits).
-module(esc_bp_plan).

-export([prepare/2, parse_function/1]).

-export_type([spec/0, prepared/0, entry/0]).

%% What the adapter sends. file/line for a source breakpoint, function for a function breakpoint
%% ("Bank.Ledger.handle_cast/2", "Bank.Ledger.handle_cast", ":lists.reverse/1", "lists:reverse/1").
-type spec() :: #{id := pos_integer(), file => binary(), line => pos_integer(), function => binary(),
                  condition => binary(), hit_condition => binary(), log_message => binary()}.
%% One place the breakpoint applies: a function clause (clause 0 = any clause) or a line probe.
-type entry() :: #{mfa := mfa(), clause := non_neg_integer(), condition := esc_bp_cond:condition() | none,
                   probe => esc_probe:probe()}.
-type prepared() :: #{id := pos_integer(), kind := head | body | function, line := non_neg_integer(),
                      file := binary(), moved := boolean(), message := binary(),
                      entries := [entry()], hit := esc_bp_hitcond:hit(), log := esc_bp_log:log() | none}.

%% ------------------------------------------------------------------ prepare

%% Opts: ebin_dirs => [Dir] (see esc_bp_resolve), owner => pid() (restores probes when it exits),
%% allow_side_effects => boolean() (default false: conditions and log messages may only call
%% functions on esc_pure's allow-list; anything else leaves the breakpoint unverified, naming it).
-spec prepare(spec(), map()) -> {ok, prepared()} | {error, #{reason := atom(), message := binary()}}.
prepare(#{id := Id} = Spec, Opts) ->
    Effects = case maps:get(allow_side_effects, Opts, false) of true -> allow; _ -> refuse end,
    try
        Cond = case text(maps:get(condition, Spec, undefined)) of
                   none -> none;
                   Src -> case esc_bp_cond:parse(Src) of
                              {ok, Ast} -> {Ast, Effects};
                              {error, M1} -> throw({invalid_condition, M1})
                          end
               end,
        Hit = case esc_bp_hitcond:hit_condition(text0(maps:get(hit_condition, Spec, undefined))) of
                  {ok, H} -> H;
                  {error, M2} -> throw({invalid_hit_condition, M2})
              end,
        Log = case text(maps:get(log_message, Spec, undefined)) of
                  none -> none;
                  LSrc -> case esc_bp_log:log_message(LSrc, Effects) of
                              {ok, L} -> L;
                              {error, M3} -> throw({invalid_log_message, M3})
                          end
              end,
        Base = #{id => Id, hit => Hit, log => Log},
        case Spec of
            #{function := FSpec} -> prepare_function(FSpec, Cond, Base);
            #{file := File, line := Line} -> prepare_line(File, Line, Cond, Opts, Base)
        end
    catch
        throw:{Reason, Msg} -> {error, #{reason => Reason, message => Msg}}
    end.

text(undefined) -> none;
text(<<>>) -> none;
text("") -> none;
text(S) -> case string:trim(S) of <<>> -> none; "" -> none; _ -> S end.

text0(S) -> case text(S) of none -> undefined; T -> T end.

prepare_line(File, Line, Cond, Opts, Base) ->
    case esc_bp_resolve:resolve(File, Line, Opts) of
        {error, #{reason := R, message := M}} -> throw({R, M});
        {ok, #{kind := head, targets := Ts} = Res} ->
            Entries = [head_entry(T, Cond) || T <- Ts],
            finish(head, Res, Entries, Base);
        {ok, #{kind := body, targets := Ts, line := L} = Res} ->
            Entries = lists:append([body_entries(T, L, Cond, Opts) || T <- Ts]),
            finish(body, Res, Entries, Base)
    end.

head_entry(#{module := M, function := F, arity := A, clause := I}, Cond) ->
    {ok, Lang, Clauses} = esc_bp_bind:clauses(M, F, A),
    {I, _, Form} = lists:keyfind(I, 1, Clauses),
    #{names := Names} = esc_bp_head:head(Lang, Form),
    #{mfa => {M, F, A}, clause => I, condition => compile(Cond, Names)}.

body_entries(#{module := M, function := F, arity := A, clause := I}, L, Cond, Opts) ->
    case esc_probe:instrument(M, maps:with([owner], Opts)) of
        {ok, _} ->
            [#{mfa => Stub, clause => I, probe => P,
               condition => compile(Cond, probe_names(Names))}
             || #{function := F2, arity := A2, clause := I2, stub := Stub, names := Names} = P
                    <- esc_probe:probes_at(M, L), F2 =:= F, A2 =:= A, I2 =:= I];
        {error, #{reason := R, message := Msg}} -> throw({R, Msg})
    end.

probe_names(Names) ->
    maps:from_list([{N, list_to_atom([$$ | integer_to_list(K)])}
                    || {K, N} <- lists:zip(lists:seq(1, length(Names)), Names)]).

compile(none, _Names) -> none;
compile({Ast, Effects}, Names) ->
    case esc_bp_cond:compile(Ast, Names, Effects) of
        {ok, C} -> C;
        {error, Msg} -> {error, Msg}
    end.

%% Entries whose condition does not compile (a name the clause does not bind) are dropped; if
%% none is left the breakpoint is unverified with the compiler's message.
finish(Kind, #{file := File, line := L, moved := Moved}, Entries, Base) ->
    case [E || #{condition := C} = E <- Entries, not is_tuple(C) orelse element(1, C) =/= error] of
        [] ->
            case [Msg || #{condition := {error, Msg}} <- Entries] of
                [Msg | _] -> throw({invalid_condition, Msg});
                [] -> throw({no_code, <<"No probe could be placed on this line.">>})
            end;
        Ok ->
            Where = case Moved of
                        true -> esc_lib:fmt("Moved to line ~b, the nearest line with code.", [L]);
                        false -> <<>>
                    end,
            {ok, Base#{kind => Kind, line => L, file => File, moved => Moved, message => Where, entries => Ok}}
    end.

prepare_function(FSpec, Cond, Base) ->
    {M, F, Arity} = case parse_function(FSpec) of
                        {ok, MFA} -> MFA;
                        {error, Msg} -> throw({invalid_function, Msg})
                    end,
    case code:ensure_loaded(M) of
        {module, M} -> ok;
        _ -> throw({not_found, esc_lib:fmt("Module ~s is not loaded and cannot be loaded.", [esc_lib:module_name(M)])})
    end,
    Arities = [A || {F2, A} <- M:module_info(functions), F2 =:= F, Arity =:= any orelse A =:= Arity],
    Arities =/= [] orelse throw({not_found, esc_lib:fmt("~s has no function ~s~s.", [esc_lib:module_name(M), F, arity_text(Arity)])}),
    Entries = lists:append([function_entries(M, F, A, Cond) || A <- Arities]),
    Src = case esc_bp_resolve:minfo(M) of {ok, #{source := S}} -> S; _ -> <<>> end,
    finish(function, #{file => Src, line => 0, moved => false}, Entries, Base).

function_entries(M, F, A, Cond) ->
    case esc_bp_bind:clauses(M, F, A) of
        {ok, Lang, Clauses} ->
            [#{mfa => {M, F, A}, clause => I,
               condition => compile(Cond, maps:get(names, esc_bp_head:head(Lang, Form)))}
             || {I, _, Form} <- Clauses];
        {error, #{message := Msg}} when Cond =/= none ->
            throw({no_debug_info, iolist_to_binary([Msg, " Conditions need the clause's variable names."])});
        {error, _} ->
            [#{mfa => {M, F, A}, clause => 0, condition => none}]
    end.

arity_text(any) -> "";
arity_text(A) -> [$/ | integer_to_list(A)].

%% "Bank.Ledger.handle_cast/2" | "Bank.Ledger.handle_cast" | ":lists.reverse/1" | "lists:reverse/1"
-spec parse_function(binary() | string()) -> {ok, {module(), atom(), arity() | any}} | {error, binary()}.
parse_function(Spec) ->
    S = string:trim(unicode:characters_to_list(Spec)),
    {Body, Arity} = case string:split(S, "/", trailing) of
                        [B, N] -> case string:to_integer(N) of
                                      {I, ""} when I >= 0 -> {B, I};
                                      _ -> {S, bad}
                                  end;
                        [B] -> {B, any}
                    end,
    Parsed = case Body of
                 ":" ++ Erl -> split_last(Erl, $.);
                 _ -> case lists:member($:, Body) of
                          true -> split_last(Body, $:);
                          false -> case split_last(Body, $.) of
                                       {ok, EMod, EFun} -> {ok, "Elixir." ++ EMod, EFun};
                                       E -> E
                                   end
                      end
             end,
    case {Parsed, Arity} of
        {_, bad} -> {error, esc_lib:fmt("Invalid arity in ~ts.", [S])};
        {{ok, Mod, Fun}, _} when Mod =/= "", Fun =/= "" ->
            {ok, {list_to_atom(Mod), list_to_atom(Fun), Arity}};
        _ -> {error, esc_lib:fmt("Cannot read the function breakpoint ~ts: use Module.function/arity "
                                 "(Bank.Ledger.handle_cast/2), Module.function or :erlang_module.function/arity.", [S])}
    end.

split_last(S, Sep) ->
    case string:split(S, [Sep], trailing) of
        [Mod, Fun] -> {ok, Mod, Fun};
        _ -> error
    end.
