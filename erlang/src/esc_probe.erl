%% Line probes: body-line breakpoints and line-by-line recording without an interpreter.
%%
%% Why: call tracing sees function entries only; a breakpoint on a line inside a body, with that
%% line's local variables, needs the code itself to report. We recompile the module from its debug
%% info with a probe before each body line (esc_probe_ast decides where, and which variables are
%% certainly bound there) and hot-load it; the original object code is kept and put back by
%% restore/1 and restore_all/0 (also done automatically when the registered owner process — the
%% agent's connection — dies, see esc_bp_store). A module compiled in memory from an .exs file (a
%% test module) has no .beam: its original is the object code esc_inmem kept when it was compiled.
%%
%% A probe is a remote call to an empty exported function of a per-module stub module, one function
%% per probe: `'esc_probe@Elixir.Bank.Account':p17(Fee, NewBalance, ...)`, passing the variables
%% bound at that line, in binding order (one per source name, the latest version). So:
%% - disabled (no trace pattern on it): the cost is one call to a function that returns `ok`, no
%%   message, no allocation;
%% - enabled: a call trace pattern on exactly that stub function, with a match specification whose
%%   head is ['$1', ..., '$N'] (the variables) and whose guard is the condition over the source
%%   names (esc_bp_cond): a false condition sends nothing. Other lines stay free.
%% The stub module's name starts with `esc_`, so the recording engine never traces it by itself.
%% The engine turns a trace message for a stub call into a LINE event with describe/2 and
%% bindings/2: {trace_ts, Pid, call, {Stub, PFun, Args}, [Tag,] Ts} -> module, function/arity,
%% line, file, [{SourceName, Value}].
-module(esc_probe).

-export([instrument/1, instrument/2, restore/1, restore_all/0, instrumented/0, probes/1,
         probes_at/2, describe/2, bindings/2, enable/2, disable/1, enable_all/2, stub_name/1,
         line_event/1]).

-export_type([probe/0]).

-type probe() :: #{id := pos_integer(), module := module(), function := atom(), arity := arity(),
                   clause := pos_integer(), line := pos_integer(), file := binary(),
                   stub := {module(), atom(), arity()}, names := [binary()]}.

-define(MAX_ARGS, 200).

%% Instruments M (idempotent): every body line of every function gets a probe.
-spec instrument(module()) -> {ok, [probe()]} | {error, esc_bp_resolve:failure()}.
instrument(M) -> instrument(M, #{}).

%% Opts: owner => pid() (restore everything when it exits).
-spec instrument(module(), map()) -> {ok, [probe()]} | {error, esc_bp_resolve:failure()}.
instrument(M, Opts) ->
    _ = esc_bp_store:ensure(),
    case maps:find(owner, Opts) of
        {ok, Owner} -> esc_bp_store:watch(Owner);
        error -> ok
    end,
    case ets:lookup(esc_probe_mods, M) of
        [{_, #{probes := Ps} = Info}] ->
            case reloaded(M, Info) of
                false -> {ok, Ps};
                true ->
                    %% The user reloaded/recompiled M since: the new code is the original now.
                    forget(M, Info),
                    do_instrument(M)
            end;
        [] -> do_instrument(M)
    end.

%% True when M's loaded code is no longer the instrumented version we loaded.
reloaded(M, #{md5 := Md5}) ->
    (catch M:module_info(md5)) =/= Md5.

forget(M, #{stub := Stub, probes := Ps}) ->
    [catch disable(P) || P <- Ps],
    ets:delete(esc_probe_mods, M),
    [ets:delete(esc_probe_ids, {Stub, F}) || #{stub := {_, F, _}} <- Ps],
    ok.

do_instrument(M) ->
    Loaded = case code:ensure_loaded(M) of
                 {module, M} -> {module, M};
                 _ ->
                     %% Not on the code path yet (launch): load it from the ebin the adapter named.
                     case esc_bp_resolve:beam_path(M) of
                         none -> {error, nofile};
                         Beam -> code:load_abs(filename:rootname(Beam))
                     end
             end,
    case Loaded of
        {module, M} ->
            case code:which(M) of
                Path when is_list(Path), Path =/= "" ->
                    case file:read_file(Path) of
                        {ok, Orig} -> do_instrument(M, Path, Orig);
                        {error, Why} -> err(not_found, "Cannot read ~ts: ~p.", [Path, Why])
                    end;
                "" ->
                    %% Compiled in memory (an .exs file): the object code esc_inmem kept. Reloads keep
                    %% the empty file name, as Elixir loaded it.
                    case esc_inmem:object_code(M) of
                        {ok, Orig} -> do_instrument(M, "", Orig);
                        {error, _} -> esc_bp_resolve:minfo(M, "")
                    end;
                _ -> err(no_debug_info, "~s was not loaded from a .beam file, so it cannot be recompiled "
                                        "with line probes.", [esc_lib:module_name(M)])
            end;
        _ -> err(not_found, "~s is not loaded and cannot be loaded.", [esc_lib:module_name(M)])
    end.

do_instrument(M, Path, Orig) ->
    Loaded = M:module_info(md5),
    case beam_lib:md5(Orig) of
        {ok, {M, Loaded}} ->
            case esc_bp_resolve:minfo(M, Path) of
                {ok, #{forms := Forms0, lang := Lang, source := Src, functions := Fs}} ->
                    case [x || {attribute, _, on_load, _} <- Forms0] of
                        [] ->
                            Foreign = [{F, A} || #{name := F, arity := A, foreign := true} <- Fs],
                            build(M, Path, Orig, strip_transforms(Forms0), Lang, Src, Foreign);
                        _ ->
                            err(on_load, "~s has an on_load hook (e.g. it loads a NIF); reloading it with line "
                                         "probes would run the hook again, so body-line breakpoints are not "
                                         "supported in it (function-entry breakpoints are).", [esc_lib:module_name(M)])
                    end;
                {error, _} = E -> E
            end;
        _ when Path =:= "" ->
            err(stale, "The loaded ~s differs from the code compiled from its .exs file; body-line "
                       "breakpoints cannot be placed in it.", [esc_lib:module_name(M)]);
        _ ->
            err(stale, "The loaded ~s differs from its .beam file (~ts); reload it (recompile) before "
                       "placing body-line breakpoints.", [esc_lib:module_name(M), Path])
    end.

build(M, Path, Orig, Forms, Lang, Src, Foreign) ->
    Stub = stub_name(M),
    File = case Src of <<>> -> unicode:characters_to_binary(Path); _ -> Src end,
    {Forms2, Probes} = insert(Forms, M, Stub, Lang, File, maps:from_list([{FA, true} || FA <- Foreign])),
    StubForms = stub_forms(Stub, Probes),
    Opts = [binary, return_errors, no_auto_import, {source, binary_to_list(File)}],
    case {compile:forms(Forms2, Opts), compile:forms(StubForms, [binary, return_errors])} of
        {{ok, M, Bin}, {ok, Stub, StubBin}} ->
            _ = code:soft_purge(Stub),
            {module, Stub} = code:load_binary(Stub, "esc_probe_stub", StubBin),
            case load(M, Path, Bin) of
                ok ->
                    ets:insert(esc_probe_mods, {M, #{orig => Orig, path => Path, stub => Stub, probes => Probes,
                                                    md5 => M:module_info(md5)}}),
                    ets:insert(esc_probe_ids, [{{Stub, F}, P} || #{stub := {_, F, _}} = P <- Probes]),
                    {ok, Probes};
                {error, Why} ->
                    drop_stub(Stub),
                    err(load_failed, "Could not load ~s with line probes: ~0tp.", [esc_lib:module_name(M), Why])
            end;
        {{error, Errs, _}, _} ->
            err(compile_failed, "Could not recompile ~s with line probes: ~0tp.", [esc_lib:module_name(M), Errs]);
        {_, {error, Errs, _}} ->
            err(compile_failed, "Could not compile the probe stubs of ~s: ~0tp.", [esc_lib:module_name(M), Errs])
    end.

%% The debug info holds the code after parse transforms: they must not run twice.
strip_transforms(Forms) ->
    lists:filtermap(fun({attribute, A, compile, Opts}) ->
                            L = [O || O <- lists:flatten([Opts]), not is_transform(O)],
                            case L of [] -> false; _ -> {true, {attribute, A, compile, L}} end;
                       (_) -> true
                    end, Forms).

is_transform({parse_transform, _}) -> true;
is_transform(_) -> false.

%% Loads Bin as M, keeping the file name (code:which/1 unchanged). Old code is purged softly
%% first: a process still running M's old code is never killed.
load(M, Path, Bin) ->
    case code:soft_purge(M) of
        true ->
            case code:load_binary(M, Path, Bin) of
                {module, M} -> ok;
                {error, E} -> {error, E}
            end;
        false -> {error, old_code_in_use}
    end.

%% ------------------------------------------------------------------ insertion

%% Functions injected from another file (`use GenServer`'s defaults) get no probes.
insert(Forms, M, Stub, Lang, File, Foreign) ->
    put(esc_probe_acc, []),
    Forms2 = [case F of
                  {function, A, Name, Ar, Cs} when not is_map_key({Name, Ar}, Foreign) ->
                      {function, A, Name, Ar, [clause(M, Stub, Lang, File, Name, Ar, I, C)
                                               || {I, C} <- lists:zip(lists:seq(1, length(Cs)), Cs)]};
                  _ -> F
              end || F <- Forms],
    {Forms2, lists:reverse(erase(esc_probe_acc))}.


clause(M, Stub, Lang, File, Name, Ar, I, {clause, A, _, _, _} = C) ->
    HL = case erl_anno:line(A) of L when is_integer(L), L > 0 -> L; _ -> 0 end,
    Fun = fun(Line, Bound) ->
                  Vars = visible(Lang, Bound),
                  Id = erlang:unique_integer([positive, monotonic]),
                  PFun = list_to_atom("p" ++ integer_to_list(Id)),
                  Probe = #{id => Id, module => M, function => Name, arity => Ar, clause => I, line => Line,
                            file => File, stub => {Stub, PFun, length(Vars)}, names => [N || {N, _} <- Vars]},
                  put(esc_probe_acc, [Probe | get(esc_probe_acc)]),
                  Anno = erl_anno:set_generated(true, erl_anno:new(Line)),
                  {call, Anno, {remote, Anno, {atom, Anno, Stub}, {atom, Anno, PFun}},
                   [{var, Anno, V} || {_, V} <- Vars]}
          end,
    {C2, _Sites} = esc_probe_ast:clause(C, HL, Fun),
    C2.

%% The variables a probe passes: one per source name (its latest version), no `_`-names.
visible(Lang, Bound) ->
    Named = [{N, V} || V <- Bound, N <- [esc_bp_resolve:source_name(Lang, V)], N =/= none,
                       binary:first(N) =/= $_],
    Last = maps:from_list(Named),
    Order = lists:foldl(fun({N, _}, Acc) -> case lists:member(N, Acc) of true -> Acc; false -> Acc ++ [N] end end,
                        [], Named),
    lists:nthtail(max(0, length(Order) - ?MAX_ARGS), [{N, maps:get(N, Last)} || N <- Order]).

stub_forms(Stub, Probes) ->
    A = erl_anno:new(1),
    %% (an arity is at most 255; the guard tells the type checker so)
    Funs = [{F, Ar} || #{stub := {_, F, Ar}} <- Probes, Ar >= 0, Ar =< 255],
    [{attribute, A, module, Stub},
     {attribute, A, export, Funs} |
     [{function, A, F, Ar, [{clause, A, [{var, A, '_'} || _ <- lists:seq(1, Ar)], [], [{atom, A, ok}]}]}
      || {F, Ar} <- Funs]].

%% ------------------------------------------------------------------ queries

-spec stub_name(module()) -> module().
stub_name(M) -> list_to_atom("esc_probe@" ++ atom_to_list(M)).

-spec instrumented() -> [module()].
instrumented() ->
    case ets:info(esc_probe_mods, size) of
        undefined -> [];
        _ -> [M || {M, _} <- ets:tab2list(esc_probe_mods)]
    end.

-spec probes(module()) -> [probe()].
probes(M) ->
    case catch ets:lookup(esc_probe_mods, M) of
        [{_, #{probes := Ps}}] -> Ps;
        _ -> []
    end.

%% Probes on Line of M (several when the line is in several clauses or nested sequences).
-spec probes_at(module(), pos_integer()) -> [probe()].
probes_at(M, Line) ->
    [P || #{line := L} = P <- probes(M), L =:= Line].

%% The probe a stub function stands for (the engine calls this for a trace message on a stub).
-spec describe(module(), atom()) -> {ok, probe()} | error.
describe(Stub, F) ->
    case catch ets:lookup(esc_probe_ids, {Stub, F}) of
        [{_, P}] -> {ok, P};
        _ -> error
    end.

%% Named bindings of a probe call's arguments.
-spec bindings(probe(), [term()]) -> [{binary(), term()}].
bindings(#{names := Names}, Args) ->
    lists:zip(Names, Args).

%% A LINE event from a trace message on a stub function, or none.
-spec line_event(tuple()) -> {ok, #{pid := pid(), module := module(), function := atom(), arity := arity(),
                                    line := pos_integer(), file := binary(), bindings := [{binary(), term()}],
                                    tag := term(), ts := term()}} | none.
line_event({trace_ts, Pid, call, {Stub, F, Args}, Ts}) -> line_event(Pid, Stub, F, Args, none, Ts);
line_event({trace_ts, Pid, call, {Stub, F, Args}, Tag, Ts}) -> line_event(Pid, Stub, F, Args, Tag, Ts);
line_event({trace, Pid, call, {Stub, F, Args}}) -> line_event(Pid, Stub, F, Args, none, none);
line_event({trace, Pid, call, {Stub, F, Args}, Tag}) -> line_event(Pid, Stub, F, Args, Tag, none);
line_event(_) -> none.

line_event(Pid, Stub, F, Args, Tag, Ts) ->
    case describe(Stub, F) of
        {ok, #{module := M, function := Fn, arity := A, line := L, file := File} = P} ->
            {ok, #{pid => Pid, module => M, function => Fn, arity => A, line => L, file => File,
                   bindings => bindings(P, Args), tag => Tag, ts => Ts}};
        error -> none
    end.

%% Sets a call trace pattern on the probe's stub function (global: the probe is a remote call).
%% Processes still need the `call` trace flag (the recording engine sets it).
-spec enable(probe(), list() | true) -> non_neg_integer().
enable(#{stub := MFA}, Ms) ->
    esc_tsess:function(MFA, Ms, [global]).

%% Every probe of an instrumented module at once (line-by-line recording of `lineProbes` modules:
%% Ms = true records every line; false turns them all off). Breakpoint patterns set afterwards on
%% single stub functions (esc_bp_ms:match_specs/3 with Base = [{'_', [], []}]) take precedence.
-spec enable_all(module(), list() | boolean()) -> non_neg_integer().
enable_all(M, Ms) ->
    case probes(M) of
        [] -> 0;
        _ -> esc_tsess:function({stub_name(M), '_', '_'}, Ms, [global])
    end.

-spec disable(probe()) -> non_neg_integer().
disable(#{stub := MFA}) ->
    esc_tsess:function(MFA, false, [global]).

%% ------------------------------------------------------------------ restore

%% Puts M's original object code back (same md5 as before instrumentation) and drops its stubs.
-spec restore(module()) -> ok | {error, term()}.
restore(M) ->
    case catch ets:lookup(esc_probe_mods, M) of
        [{_, #{orig := Orig, path := Path, stub := Stub, probes := Ps} = Info}] ->
            [catch disable(P) || P <- Ps],
            %% Not loaded any more, or reloaded by the user since: nothing of ours to undo.
            R = case code:is_loaded(M) =/= false andalso not reloaded(M, Info) of
                    false -> ok;
                    true -> retry_load(M, Path, Orig, 20)
                end,
            case R of
                ok ->
                    ets:delete(esc_probe_mods, M),
                    [ets:delete(esc_probe_ids, {Stub, F}) || #{stub := {_, F, _}} <- Ps],
                    %% The stubs go once no process runs the instrumented code any more; until
                    %% then they stay loaded (untraced, harmless) so that code cannot crash.
                    case code:soft_purge(M) of
                        true -> drop_stub(Stub);
                        false -> ok
                    end,
                    ok;
                Err -> Err
            end;
        _ -> ok
    end.

%% A process may still run the previous version for a moment (old code cannot be purged
%% softly): retry for up to ~1 s rather than kill it.
retry_load(M, Path, Orig, 0) ->
    case load(M, Path, Orig) of ok -> ok; E -> E end;
retry_load(M, Path, Orig, N) ->
    case load(M, Path, Orig) of
        ok -> ok;
        {error, old_code_in_use} -> timer:sleep(50), retry_load(M, Path, Orig, N - 1);
        E -> E
    end.

%% Restores every instrumented module.
-spec restore_all() -> ok | {error, [{module(), term()}]}.
restore_all() ->
    case [{M, E} || M <- instrumented(), {error, _} = E <- [restore(M)]] of
        [] -> ok;
        Errs -> {error, Errs}
    end.

drop_stub(Stub) ->
    _ = (catch esc_tsess:function({Stub, '_', '_'}, false, [global])),
    _ = code:purge(Stub),
    _ = code:delete(Stub),
    _ = code:purge(Stub),
    ok.

%% ------------------------------------------------------------------ helpers

err(Reason, F, A) ->
    {error, #{reason => Reason, message => esc_lib:fmt(F, A)}}.
