%% One breakpoint of the session's set (esc_bp_set), as its row {{bp, Id}, Record} in the set's table:
%% prepared from the adapter's spec (esc_bp_plan), verified, pending or unverified with a message, the
%% module versions it was prepared against, and the BreakpointState the adapter shows.
%%
%% A breakpoint whose file no beam comes from (not_compiled), or whose function breakpoint module
%% cannot be loaded, stays pending: esc_bp_set prepares it again when more modules are loaded, and
%% prepares again a verified one that went stale (its modules' md5 changed).
-module(esc_bp_record).

-export([new/4, prepare/2, md5s/1, module_md5s/1, stale/1, current/1, state/1, where/1]).

-export_type([record/0]).

-define(T, esc_bp_set).

%% #{id, file, spec, status := ok | pending | error, prepared, message, counter (atomics, shared
%% by the encoders), mods := #{M => Md5}}
-type record() :: #{id := pos_integer(), file := binary(), spec := map(), counter := atomics:atomics_ref(),
                    status => ok | pending | error, prepared => esc_bp_plan:prepared(), message => binary(),
                    mods => #{module() => binary() | none}}.

%% The record of breakpoint Spec of File (<<>> = function breakpoints), prepared with the set's
%% Opts and stored. A breakpoint the adapter sends again unchanged (same id and spec: VS Code
%% resends a file's whole list on every change) keeps its hit count: Prev are the file's records
%% until now, by id.
-spec new(binary(), map(), #{pos_integer() => record()}, map()) -> record().
new(File, Spec, Prev, Opts) ->
    Id = maps:get(id, Spec),
    Keys = [id, condition, hit_condition, log_message],
    BpSpec = case File of
                 <<>> -> (maps:with(Keys, Spec))#{function => maps:get(function, Spec, <<>>)};
                 _ -> (maps:with(Keys, Spec))#{file => File, line => maps:get(line, Spec, 0)}
             end,
    Counter = case Prev of
                  #{Id := #{spec := BpSpec, counter := C}} -> C;
                  _ -> esc_bp_raised:forget(Id), atomics:new(1, [])
              end,
    Rec = prepare(#{id => Id, file => File, spec => BpSpec, counter => Counter}, Opts),
    ets:insert(?T, {{bp, Id}, Rec}),
    Rec.

%% Prepares Rec (again) with the set's Opts (ebin_dirs, owner, allow_side_effects).
-spec prepare(record(), map()) -> record().
prepare(#{spec := Spec} = Rec, O) ->
    Dirs = maps:get(ebin_dirs, O, []),
    POpts = maps:merge(#{ebin_dirs => Dirs}, maps:with([owner, allow_side_effects], O)),
    Loadable = load_function_module(Spec, Dirs),
    R = case Spec of
            #{line := 0} -> {error, #{reason => no_code, message => <<"No line given.">>}};
            #{function := <<>>} -> {error, #{reason => invalid_function, message => <<"No function given.">>}};
            _ -> try esc_bp_plan:prepare(Spec, POpts)
                 catch C:E -> {error, #{reason => failed, message => esc_lib:fmt("Could not place the breakpoint: ~0p", [{C, E}])}}
                 end
        end,
    Rec1 = maps:without([prepared], Rec),
    case R of
        {ok, P} ->
            Rec1#{status => ok, prepared => P, mods => md5s(P), message => note(P)};
        {error, #{reason := not_found}} when not Loadable ->
            Rec1#{status => pending, mods => #{}, message => <<"pending: module not loaded yet">>};
        {error, #{reason := not_compiled, message := Msg}} ->
            Rec1#{status => pending, mods => #{}, message => Msg};
        {error, #{message := Msg}} ->
            Rec1#{status => error, mods => #{}, message => Msg}
    end.

%% A function breakpoint's module that is not on the code path yet but in an ebin folder the
%% adapter named is loaded from there (as the launch preload would). False: it cannot be found.
load_function_module(#{function := FSpec}, Dirs) when FSpec =/= <<>> ->
    case esc_bp_plan:parse_function(FSpec) of
        {ok, {M, _, _}} ->
            case code:ensure_loaded(M) of
                {module, M} -> true;
                _ ->
                    Beams = [B || D <- Dirs, B <- [filename:join(D, atom_to_list(M) ++ ".beam")],
                                  filelib:is_regular(B)],
                    case Beams of
                        [B | _] -> element(1, code:load_abs(filename:rootname(B))) =:= module;
                        [] -> false
                    end
            end;
        _ -> true
    end;
load_function_module(_, _) ->
    true.

note(#{moved := true, line := L}) -> esc_lib:fmt("moved to line ~b", [L]);
note(_) -> <<>>.

%% Modules a prepared breakpoint depends on, with their md5 now (none = not loaded).
-spec md5s(esc_bp_plan:prepared()) -> #{module() => binary() | none}.
md5s(#{entries := Es}) ->
    module_md5s([entry_module(E) || E <- Es]).

%% The md5 of each module now (none = not loaded).
-spec module_md5s([module()]) -> #{module() => binary() | none}.
module_md5s(Mods) -> maps:from_list([{M, md5(M)} || M <- Mods]).

entry_module(#{probe := #{module := M}}) -> M;
entry_module(#{mfa := {M, _, _}}) -> M.

md5(M) ->
    case erlang:module_loaded(M) of
        true -> try M:module_info(md5) catch _:_ -> none end;
        false -> none
    end.

%% Whether a module Rec was prepared against has changed since (reload, recompile, probes restored).
-spec stale(record()) -> boolean().
stale(#{status := ok, mods := Mods}) ->
    lists:any(fun({M, Md5}) -> md5(M) =/= Md5 end, maps:to_list(Mods));
stale(_) -> false.

%% Rec as stored now (a refresh may have prepared it again).
-spec current(record()) -> record().
current(#{id := Id} = R) ->
    case ets:lookup(?T, {bp, Id}) of
        [{_, R2}] -> R2;
        [] -> R
    end.

%% The BreakpointState the adapter shows.
-spec state(record()) -> map().
state(#{id := Id, status := ok, prepared := P, message := Msg} = R) ->
    #{id => Id, verified => true, line => line_of(R, P), message => Msg,
      module => case maps:keys(maps:get(mods, R)) of [M | _] -> atom_to_binary(M, utf8); [] -> <<>> end};
state(#{id := Id, spec := Spec, message := Msg}) ->
    #{id => Id, verified => false, line => maps:get(line, Spec, 0), message => Msg, module => <<>>}.

%% How a raised-condition notice names breakpoint Id: its file relative to the node's working
%% directory (the project, for a launch) and line, or its function.
-spec where(pos_integer()) -> {ok, iodata()} | gone.
where(Id) ->
    case ets:lookup(?T, {bp, Id}) of
        [{_, #{spec := #{function := F}}}] -> {ok, F};
        [{_, #{file := File} = R}] ->
            Line = case R of #{status := ok, prepared := P} -> line_of(R, P); #{spec := S} -> maps:get(line, S, 0) end,
            Rel = case file:get_cwd() of
                      {ok, Cwd} ->
                          case string:prefix(File, [Cwd, "/"]) of nomatch -> File; Rest -> Rest end;
                      _ -> File
                  end,
            {ok, io_lib:format("~ts:~b", [Rel, Line])};
        [] -> gone
    end.

%% Function breakpoints: the head line of the first clause.
line_of(_R, #{kind := function, entries := Es}) ->
    Lines = [L || #{mfa := {M, F, A}, clause := I} <- Es,
                  {ok, _, Cs} <- [catch esc_bp_bind:clauses(M, F, A)],
                  {I2, L, _} <- Cs, I2 =:= I orelse I =:= 0, L > 0],
    case Lines of [] -> 0; _ -> lists:min(Lines) end;
line_of(_R, #{line := L}) -> L.
