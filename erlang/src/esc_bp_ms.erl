%% The trace patterns of prepared breakpoints (esc_bp_plan): which functions need one, and their match
%% specifications, set in front of what the recording engine (esc_trace*) records anyway.
%%
%% patterns(Prepared) lists the functions that need a trace pattern; for each, the engine sets
%% esc_tsess:function(MFA, match_specs(Prepared, MFA, Base), [local]) where Base is the match spec
%% it would use anyway ([] when the function is not recorded, e.g. esc_trace_plan:ms_full() when it
%% is). The result starts with the breakpoint clauses and ends with Base, so recording is
%% unchanged. sync_patterns(Old, New, BaseFun) does exactly that (and gives functions only Old
%% needed back to their Base). Patterns must be re-set whenever the breakpoint set changes and
%% after the engine re-applies its own patterns to a reloaded module (instrumenting a module for
%% line probes is such a reload). Processes need the `call` trace flag (the engine sets it on all
%% processes). A module that is not loaded yet gets its patterns when it loads (the engine's
%% new-module poll). A call that hits is tagged {esc_bp, Ids} (the VM checked everything) or
%% {esc_bp_check, Ids} (the agent must check, esc_bp_hit).
-module(esc_bp_ms).

-export([patterns/1, match_specs/3, sync_patterns/3, with_stack/1, ms_ok/1]).

-define(MAX_COMBINED, 3).

%% The functions that need a trace pattern for these breakpoints.
-spec patterns([esc_bp_plan:prepared()]) -> [mfa()].
patterns(Prepared) ->
    lists:usort([MFA || #{entries := Es} <- Prepared, #{mfa := MFA} <- Es]).

%% Convenience for the engine: sets the pattern of every function New needs, and gives back to
%% their Base pattern the functions only Old needed. BaseFun(MFA) is the engine's own match spec
%% for MFA ([] = not recorded; then the pattern is removed). Probe stubs are global patterns (the
%% probe is a remote call), the rest local. Call it whenever the breakpoint set changes and after
%% a module with breakpoints is reloaded.
-spec sync_patterns([esc_bp_plan:prepared()], [esc_bp_plan:prepared()], fun((mfa()) -> list())) -> ok.
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

%% The match specification for MFA: breakpoint clauses first, then Base (what the engine would
%% set without breakpoints; [] = not recorded). A hit's body is [{message, {esc_bp, Ids}} | the
%% actions of Base's first clause] (e.g. exception_trace), so recording is unchanged.
-spec match_specs([esc_bp_plan:prepared()], mfa(), list()) -> list().
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
    case ms_ok(Ms) of
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
    #{head := Head, guards := Guards, exact := HExact} = esc_bp_head:head(Lang, Form),
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
%% what is left (one raised) goes to the agent, whose fun raises again and counts it (esc_bp_set). A
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

%% True when Ms is a valid trace match specification.
-spec ms_ok(list()) -> boolean().
ms_ok(Ms) ->
    case catch erlang:match_spec_test([], Ms, trace) of
        {ok, _, _, _} -> true;
        _ -> false
    end.
