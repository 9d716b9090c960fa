%% Breakpoints as trace plans: the API the recording engine (esc_trace*) and the connection call.
%%
%% Why this shape: a breakpoint must cost (almost) nothing when it does not fire, so everything
%% that can be decided inside the VM is: the adapter's breakpoint becomes trace patterns whose
%% match specifications carry the clause heads and the condition (esc_bp_cond); only calls that
%% hit produce a message, tagged with the breakpoint ids. What the VM cannot decide (conditions
%% outside the guard subset, clause heads a match spec cannot express exactly) is checked here,
%% in the agent, once per tagged message: the clause is re-matched (esc_bp_bind) and the
%% condition's compiled fun runs over the named bindings. Hit counts and log messages are
%% applied last, in the agent.
%%
%% Flow:
%%   1. prepare(Spec, Opts) for each breakpoint the adapter sends (setBreakpoints /
%%      setFunctionBreakpoints): resolves it (esc_bp_resolve), compiles the condition, hit
%%      condition and log message, and for a body line instruments the module with line probes
%%      (esc_probe). {error, #{reason, message}} = unverified, with a message for the user.
%%   2. patterns(Prepared) lists the functions that need a trace pattern; for each, the engine
%%      sets esc_tsess:function(MFA, match_specs(Prepared, MFA, Base), [local]) where Base is
%%      the match spec it would use anyway ([] when the function is not recorded, e.g.
%%      esc_trace_plan:ms_full() when it is). The result starts with the breakpoint clauses and
%%      ends with Base, so recording is unchanged. sync_patterns(Old, New, BaseFun) does exactly
%%      that (and gives functions only Old needed back to their Base). Patterns must be re-set
%%      whenever the breakpoint set changes and after the engine re-applies its own patterns to
%%      a reloaded module (instrumenting a module for line probes is such a reload). Processes
%%      need the `call` trace flag (the engine sets it on all processes). A module that is not
%%      loaded yet gets its patterns when it loads (the engine's new-module poll).
%%   3. A call that hits arrives as {trace_ts, Pid, call, {M, F, Args}, Tag, Ts} (one element
%%      more than an untagged call) with Tag = {esc_bp, Ids} (the VM checked everything) or
%%      {esc_bp_check, Ids} (the agent must check). on_hit(Prepared, Msg, Counts) returns what to
%%      do: [{stop, Id}] and [{log, Id, Text}] ({cond_raised, Id, What}: the condition raised, so
%%      it counts as false; esc_bps counts it), plus the matched clause and named bindings for the
%%      CALL (or LINE) event, and the updated hit counts. Calls on a probe stub module
%%      ('esc_probe@...', see esc_probe) are LINE events: esc_probe:line_event/1.
%%   4. On disconnect: esc_probe:restore_all() (also automatic when the `owner` given to prepare
%%      exits).
-module(esc_bp).

-export([prepare/2, patterns/1, match_specs/3, sync_patterns/3, on_hit/3, parse_function/1,
         with_stack/1, hit_stack/1]).

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
                      entries := [entry()], hit := esc_bp_cond:hit(), log := esc_bp_cond:log() | none}.

-define(MAX_COMBINED, 3).

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
        Hit = case esc_bp_cond:hit_condition(text0(maps:get(hit_condition, Spec, undefined))) of
                  {ok, H} -> H;
                  {error, M2} -> throw({invalid_hit_condition, M2})
              end,
        Log = case text(maps:get(log_message, Spec, undefined)) of
                  none -> none;
                  LSrc -> case esc_bp_cond:log_message(LSrc, Effects) of
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
    #{names := Names} = esc_bp_cond:head(Lang, Form),
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
               condition => compile(Cond, maps:get(names, esc_bp_cond:head(Lang, Form)))}
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

%% ------------------------------------------------------------------ match specs

%% The functions that need a trace pattern for these breakpoints.
-spec patterns([prepared()]) -> [mfa()].
patterns(Prepared) ->
    lists:usort([MFA || #{entries := Es} <- Prepared, #{mfa := MFA} <- Es]).

%% Convenience for the engine: sets the pattern of every function New needs, and gives back to
%% their Base pattern the functions only Old needed. BaseFun(MFA) is the engine's own match spec
%% for MFA ([] = not recorded; then the pattern is removed). Probe stubs are global patterns (the
%% probe is a remote call), the rest local. Call it whenever the breakpoint set changes and after
%% a module with breakpoints is reloaded.
-spec sync_patterns([prepared()], [prepared()], fun((mfa()) -> list())) -> ok.
sync_patterns(Old, New, BaseFun) ->
    Needed = patterns(New),
    [set_pattern(MFA, BaseFun(MFA)) || MFA <- patterns(Old), not lists:member(MFA, Needed)],
    [set_pattern(MFA, match_specs(New, MFA, BaseFun(MFA))) || MFA <- Needed],
    ok.

set_pattern({M, F, _} = MFA, Ms) ->
    Kind = case esc_probe:describe(M, F) of {ok, _} -> global; error -> local end,
    esc_tsess:bp_function(MFA, case Ms of [] -> false; _ -> meta_returns(MFA, Kind, with_stack(Ms)) end, Kind).

%% In a breakpoint-only session (meta patterns, esc_tsess:bp_function/3) nothing else records the
%% hit function's return, so without one every later hit of the process would look nested in the
%% earlier ones: a hit clause also traces its return/exception (only hits pay). Not for probe stubs
%% (a LINE event has no frame) nor for functions on a tail-call cycle, whose return_trace frame
%% would grow the process's stack on every hit (see esc_trace_plan).
meta_returns({M, F, A}, local, Ms) ->
    case esc_tsess:bp_meta() =/= false andalso not lists:member({F, A}, tail_loops(M)) of
        true ->
            [case lists:any(fun({message, T}) -> T =/= false; (_) -> false end, Body)
                      andalso not lists:member({exception_trace}, Body) of
                 true -> {Head, Guards, Body ++ [{exception_trace}]};
                 false -> C
             end || {Head, Guards, Body} = C <- Ms];
        false -> Ms
    end;
meta_returns(_MFA, global, Ms) -> Ms.

%% esc_trace_plan:tail_loops/1 disassembles the module: cached per md5 in the calling process
%% (the engine's controller) while the module is unchanged.
tail_loops(M) ->
    Md5 = try M:module_info(md5) catch _:_ -> none end,
    case get({esc_bp_loops, M}) of
        {Md5, Loops} -> Loops;
        _ -> Loops = esc_trace_plan:tail_loops(M), put({esc_bp_loops, M}, {Md5, Loops}), Loops
    end.

%% The patterns as set: every hit's message also carries the process's stack below the called
%% function, taken by the VM at the call (the Debug pane shows the frames nothing recorded: OTP
%% internals, deps, the test runner). Only hits pay: the action runs in a clause that already
%% decided to send. OTP >= 26 has {current_stacktrace} (bounded by the backtrace_depth system flag);
%% OTP 25 has only {caller}, one frame ({process_dump} prints every stack slot's term: far too
%% heavy, and taking process_info later from the agent would show wherever the process is by then).
%% The tag {Mode, Ids} becomes {Mode, Ids, Stack}; see hit_stack/1.
-spec with_stack(list()) -> list().
with_stack(Ms) ->
    Expr = stack_expr(),
    [{Head, Guards, [stack_action(A, Expr) || A <- Body]} || {Head, Guards, Body} <- Ms].

stack_action({message, {const, {Mode, Ids}}}, Expr) when Mode =:= esc_bp; Mode =:= esc_bp_check ->
    {message, {{Mode, {const, Ids}, Expr}}};
stack_action(A, _Expr) -> A.

stack_expr() ->
    case erlang:match_spec_test([], [{'_', [], [{message, {current_stacktrace}}]}], trace) of
        {ok, _, _, _} -> {current_stacktrace};
        _ -> {caller}
    end.

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

%% The match specification for MFA: breakpoint clauses first, then Base (what the engine would
%% set without breakpoints; [] = not recorded). A hit's body is [{message, {esc_bp, Ids}} | the
%% actions of Base's first clause] (e.g. exception_trace), so recording is unchanged.
-spec match_specs([prepared()], mfa(), list()) -> list().
match_specs(Prepared, {_, _, Arity} = MFA, Base) ->
    Entries = [{Id, E} || #{id := Id, entries := Es} <- Prepared, #{mfa := M} = E <- Es, M =:= MFA],
    BaseActions = case Base of
                      [{_, _, Actions} | _] -> [A || A <- Actions, not is_message(A)];
                      _ -> []
                  end,
    Clauses = case Entries of
                  [] -> [];
                  [{_, #{probe := _}} | _] -> probe_ms(Arity, Entries, Base, BaseActions);
                  _ -> call_ms(MFA, Entries, Base, BaseActions)
              end,
    Ms = Clauses ++ Base,
    case esc_bp_cond:ms_ok(Ms) of
        true -> Ms;
        false ->
            %% Defensive: never set an invalid pattern; let the agent check everything.
            [{'_', [], [{message, {const, {esc_bp_check, ids(Entries)}}} | BaseActions]} | Base]
    end.

is_message({message, _}) -> true;
is_message(_) -> false.

ids(Entries) -> lists:usort([Id || {Id, _} <- Entries]).

probe_ms(Arity, Entries, Base, BaseActions) ->
    Head = [list_to_atom([$$ | integer_to_list(K)]) || K <- lists:seq(1, Arity)],
    combine(Head, [[]], [{Id, C} || {Id, #{condition := C}} <- Entries], Base, BaseActions).

%% For each clause up to the last targeted one: the targeted clause's breakpoint clauses, then
%% (when a later clause is targeted) a blocker, so arguments that select this clause never reach
%% the match-spec clauses of a later one. A clause head a match spec cannot state exactly turns the
%% later targeted clauses into agent-checked ones.
call_ms({M, F, A}, Entries, Base, BaseActions) ->
    case lists:any(fun({_, #{clause := C}}) -> C =:= 0 end, Entries) of
        true ->
            combine(['_' || _ <- lists:seq(1, A)], [[]], [{Id, C} || {Id, #{condition := C}} <- Entries], Base, BaseActions);
        false ->
            {ok, Lang, Clauses} = esc_bp_bind:clauses(M, F, A),
            Last = lists:max([C || {_, #{clause := C}} <- Entries]),
            clauses_ms([C || {I, _, _} = C <- Clauses, I =< Last], Lang, Entries, Base, BaseActions, Last, true)
    end.

clauses_ms([], _Lang, _Entries, _Base, _BaseActions, _Last, _Exact) -> [];
clauses_ms([{I, _, Form} | Rest], Lang, Entries, Base, BaseActions, Last, Exact) ->
    #{head := Head, guards := Guards, exact := HExact} = esc_bp_cond:head(Lang, Form),
    Here = [{Id, C} || {Id, #{clause := CI, condition := C}} <- Entries, CI =:= I],
    Mine = case Here of
               [] -> [];
               _ when Exact, HExact -> combine(Head, Guards, Here, Base, BaseActions);
               _ -> [{Head, G, [{message, {const, {esc_bp_check, lists:usort([Id || {Id, _} <- Here])}}}
                                | BaseActions]} || G <- Guards]
           end,
    Blocker = case I < Last andalso HExact of
                  true -> blocker(Head, Guards, Base);
                  false -> []
              end,
    Mine ++ Blocker ++ clauses_ms(Rest, Lang, Entries, Base, BaseActions, Last, Exact andalso HExact).

%% Arguments selecting this clause: recorded as Base says, never tagged.
blocker(Head, Guards, Base) ->
    lists:append([[{Head, G ++ BG, BB} || {'_', BG, BB} <- Base] ++ [{Head, G, [{message, false}]}]
                  || G <- Guards]).

%% Match-spec clauses for the breakpoints of one function clause: with at most ?MAX_COMBINED
%% breakpoints, one clause per subset (largest first) so the message names every breakpoint
%% whose condition holds; beyond that, or when a condition has no guard form, the agent checks.
%%
%% A guard that raises (hd([]), map_get of a missing key) only fails its clause, which would make
%% a raising condition silently false. For conditions that can raise (esc_bp_raised:may_raise/1),
%% a subset's clause also requires the others to evaluate (is_atom: a guard that does not raise is
%% true or false), then "all evaluated, none held" falls through to Base as a blocker would, and
%% what is left (one raised) goes to the agent, whose fun raises again and counts it (esc_bps). A
%% false condition still sends nothing; one that can raise is evaluated twice.
combine(Head, Guards, Bps, Base, BaseActions) ->
    Tag = fun(T, Ids) -> [{message, {const, {T, Ids}}} | BaseActions] end,
    AllMs = lists:all(fun({_, C}) -> C =:= none orelse maps:get(ms, C) =/= none end, Bps),
    Evaluated = fun(Set) -> [{is_atom, G} || {_, C} <- Set, C =/= none, G <- [maps:get(ms, C)],
                                             esc_bp_raised:may_raise(G)] end,
    case AllMs andalso length(Bps) =< ?MAX_COMBINED of
        true ->
            Subsets = lists:sort(fun(A, B) -> length(A) >= length(B) end, subsets(Bps)),
            %% Conditions first: they are usually false, and a test that raises (e.g. map_get
            %% before the clause's own type tests) fails the clause just the same.
            Hits = [{Head, [maps:get(ms, C) || {_, C} <- S, C =/= none] ++ Evaluated(Bps -- S) ++ G,
                     Tag(esc_bp, lists:usort([Id || {Id, _} <- S]))}
                    || S <- Subsets, G <- Guards],
            case Evaluated(Bps) of
                [] -> Hits;
                AllEvaluated ->
                    Hits ++ blocker(Head, [AllEvaluated ++ G || G <- Guards], Base)
                        ++ [{Head, G, Tag(esc_bp_check, lists:usort([Id || {Id, _} <- Bps]))} || G <- Guards]
            end;
        false ->
            [{Head, G, Tag(esc_bp_check, lists:usort([Id || {Id, _} <- Bps]))} || G <- Guards]
    end.

subsets([]) -> [];
subsets([X | Rest]) ->
    Sub = subsets(Rest),
    [[X]] ++ [[X | S] || S <- Sub] ++ Sub.

%% ------------------------------------------------------------------ hits

%% What to do with a tagged trace message (see the module doc). Counts: hit counts per id (after
%% the condition), kept by the caller. Returns the actions, the event's clause/line/bindings
%% (none when the arguments match no targeted clause), and the new counts.
-spec on_hit([prepared()], tuple(), #{pos_integer() => non_neg_integer()} | fun((pos_integer()) -> pos_integer())) ->
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
                                case esc_bp_cond:hit_ok(H, N) of
                                    false -> {Acts, B, Cs2};
                                    true when Log =:= none -> {Acts ++ [{stop, Id}], B, Cs2};
                                    true -> {Acts ++ [{log, Id, esc_bp_cond:format_log(Log, bindings_of(B))}], B, Cs2}
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
