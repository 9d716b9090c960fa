%% Resolution of a source breakpoint (file + line) to the code that runs there, on the node.
%%
%% Why on the node: only the node knows which modules came out of a source file (nested modules,
%% several modules per file, protocol implementations, code compiled elsewhere) and what their
%% debug info says. We read the `compile` info (source path) of the .beam files and the debug info
%% (`debug_info_v1` chunk, through its backend: elixir_erl for Elixir, erl_abstract_code for
%% Erlang) as Erlang abstract code, which has the same shape for both languages: one clause per
%% function clause, the clause's annotation is its head line, body expressions carry their lines.
%%
%% A line is either a clause head (the breakpoint stops at function entry: a call trace pattern
%% on that function, filtered to that clause) or a body statement (needs a line probe, see
%% esc_probe). The lines "with code" of a body are exactly where esc_probe would put probes
%% (esc_probe_ast). A line without code moves to the nearest line with code of the clause it is
%% in (ties go to the later line); outside any clause, to a line with code at most 3 lines away.
%%
%% Which modules come from the file is esc_bp_sources' index (the adapter's ebin folders and the
%% non-OTP code path); debug info is cached per .beam file (mtime + size).
%%
%% Modules compiled in memory from .exs files (ExUnit test files, modules defined inside them) have
%% no .beam: their object code is the copy esc_inmem kept when they were compiled. While such a file
%% is still compiling, only some of its modules exist: a line none of them covers stays pending
%% (not_compiled) rather than moving to a nearby line of another module.
-module(esc_bp_resolve).

-export([resolve/2, resolve/3, minfo/1, minfo/2, beam_path/1,
         function_info/3, source_name/2, clear_cache/0]).

-export_type([target/0, resolved/0, failure/0, minfo/0, finfo/0, cinfo/0, lang/0]).

-type lang() :: elixir | erlang.
%% One place a breakpoint applies: a clause head (call trace) or a body statement (line probe).
-type target() :: #{module := module(), function := atom(), arity := arity(),
                    clause := pos_integer(), line := pos_integer(), kind := head | body}.
-type resolved() :: #{file := binary(), requested_line := pos_integer(), line := pos_integer(),
                      moved := boolean(), kind := head | body, targets := [target()],
                      modules := [module()]}.
%% Why a breakpoint cannot be placed; message is for the user, as is.
-type failure() :: #{reason := not_compiled | no_debug_info | no_code | not_found,
                     message := binary()}.
-type cinfo() :: #{index := pos_integer(), line := non_neg_integer(), last := non_neg_integer(),
                   lines := [pos_integer()], form := tuple()}.
-type finfo() :: #{name := atom(), arity := arity(), clauses := [cinfo()], default_wrapper := boolean(),
                   foreign := boolean()}.
-type minfo() :: #{module := module(), source := binary(), lang := lang(), beam := string() | none,
                   forms := [tuple()], functions := [finfo()]}.

-define(OUTSIDE_WINDOW, 3).
-define(SKIP_FUNS, [module_info, '__info__', '__struct__', '__impl__', '__protocol__', struct_impl_for,
                    behaviour_info,
                    '__deriving__', 'impl_for', 'impl_for!', '$handle_undefined_function']).

%% ------------------------------------------------------------------ resolution

-spec resolve(iodata(), pos_integer()) -> {ok, resolved()} | {error, failure()}.
resolve(File, Line) -> resolve(File, Line, #{}).

%% Opts: ebin_dirs => [Dir] (extra folders to search; the adapter passes the project's ebins).
-spec resolve(iodata(), pos_integer(), map()) -> {ok, resolved()} | {error, failure()}.
resolve(File0, Line, Opts) when is_integer(Line), Line > 0 ->
    File = esc_bp_sources:norm_path(File0),
    case esc_bp_sources:modules_for_source(File, Opts) of
        [] ->
            {error, #{reason => not_compiled,
                      message => esc_lib:fmt("No compiled module comes from ~ts. Compile the project (mix compile) "
                                             "and make sure its ebin folder is on the node's code path.",
                                             [File])}};
        Found ->
            Infos = [{M, Beam, minfo(M, Beam)} || {M, Beam} <- Found],
            case [I || {_, _, {ok, I}} <- Infos] of
                [] ->
                    case [{M, E} || {M, B, {error, E}} <- Infos, in_memory(B)] of
                        [{_, E} | _] -> {error, E};
                        [] ->
                            Mods = [M || {M, _} <- Found],
                            {error, #{reason => no_debug_info,
                                      message => esc_lib:fmt("~ts ~s compiled without debug info, so breakpoints cannot be "
                                                             "placed. Recompile with debug info (Mix's default in dev: "
                                                             "check `debug_info: false` in mix.exs or @compile attributes; "
                                                             "erlc +debug_info).",
                                                             [names(Mods), case Mods of [_] -> "was"; _ -> "were" end])}}
                    end;
                MInfos ->
                    Compiling = lists:any(fun(#{source := S}) -> esc_inmem:compiling(S) end, MInfos),
                    place(File, Line, MInfos, Compiling)
            end
    end.

place(File, Line, MInfos, Compiling) ->
    Cands = lists:append([candidates(MI) || MI <- MInfos]),
    Window = case Compiling of true -> 0; false -> ?OUTSIDE_WINDOW end,
    case pick(Line, Cands, Window) of
        none when Compiling ->
            {error, #{reason => not_compiled,
                      message => esc_lib:fmt("pending: no module of ~ts compiled so far has code at line ~b; waiting "
                                             "for the rest of the file to compile.", [File, Line])}};
        none ->
            {error, #{reason => no_code,
                      message => esc_lib:fmt("No code at or near line ~b of ~ts (nearest lines with code: ~s).",
                                             [Line, File, nearest_text(Line, Cands)])}};
        L ->
            At = [C || {CL, _, _} = C <- Cands, CL =:= L],
            Heads = [T || {_, head, T} <- At],
            {Kind, Ts} = case Heads of
                             [] -> {body, [T || {_, body, T} <- At]};
                             _ -> {head, drop_default_wrappers(Heads, MInfos)}
                         end,
            {ok, #{file => File, requested_line => Line, line => L, moved => L =/= Line, kind => Kind,
                   targets => Ts, modules => lists:usort([maps:get(module, T) || T <- Ts])}}
    end.

%% {Line, Kind, Target} for every clause head and body statement of every module.
candidates(#{module := M, functions := Fs}) ->
    lists:append(
      [[{HL, head, target(M, F, A, I, HL, head)} || HL > 0] ++
       [{L, body, target(M, F, A, I, L, body)} || L <- Ls]
       || #{name := F, arity := A, clauses := Cs, foreign := false} <- Fs, not lists:member(F, ?SKIP_FUNS),
          #{index := I, line := HL, lines := Ls} <- Cs]).

target(M, F, A, I, L, Kind) ->
    #{module => M, function => F, arity => A, clause => I, line => L, kind => Kind}.

%% The line a breakpoint at Line lands on, or none. Window: how far a line outside every clause
%% may move.
pick(Line, Cands, Window) ->
    Lines = lists:usort([L || {L, _, _} <- Cands]),
    case lists:member(Line, Lines) of
        true -> Line;
        false ->
            %% Inside a clause (head line .. last line + 1 for `end`): nearest line of that clause.
            Ranges = clause_ranges(Cands),
            Inside = [R || {Lo, Hi, _} = R <- Ranges, Lo =< Line, Line =< Hi + 1],
            Pool = case Inside of
                       [] -> [L || L <- Lines, abs(L - Line) =< Window];
                       _ -> lists:usort(lists:append([Ls || {_, _, Ls} <- Inside]))
                   end,
            case Pool of
                [] -> none;
                _ -> element(2, lists:min([{abs(L - Line), -L} || L <- Pool])) * -1
            end
    end.

clause_ranges(Cands) ->
    Groups = lists:foldl(fun({L, _, #{module := M, function := F, arity := A, clause := I}}, Acc) ->
                                 maps:update_with({M, F, A, I}, fun(Ls) -> [L | Ls] end, [L], Acc)
                         end, #{}, Cands),
    [{lists:min(Ls), lists:max(Ls), lists:usort(Ls)} || Ls <- maps:values(Groups)].

nearest_text(Line, Cands) ->
    Lines = lists:usort([L || {L, _, _} <- Cands]),
    Before = [L || L <- Lines, L < Line],
    After = [L || L <- Lines, L > Line],
    Parts = [integer_to_list(lists:max(Before)) || Before =/= []] ++ [integer_to_list(hd(After)) || After =/= []],
    case Parts of [] -> "none"; _ -> lists:join(" and ", Parts) end.

%% Functions with default arguments: Elixir generates f/0, f/1 that call f/2, all on the def
%% line; the breakpoint belongs on the full-arity function.
drop_default_wrappers(Heads, MInfos) ->
    Wrappers = maps:from_list([{{M, F, A}, true} || #{module := M, functions := Fs} <- MInfos,
                                                    #{name := F, arity := A, default_wrapper := true} <- Fs]),
    case [T || #{module := M, function := F, arity := A} = T <- Heads, not maps:is_key({M, F, A}, Wrappers)] of
        [] -> Heads;
        Real -> Real
    end.

%% ------------------------------------------------------------------ debug info

%% Debug info of a module (loaded, or found on the code path), with its functions and clauses.
-spec minfo(module()) -> {ok, minfo()} | {error, failure()}.
minfo(M) ->
    minfo(M, beam_path(M)).

%% Where M's .beam is: the loaded one, else the code path, else the index (ebin folders the
%% adapter passed that are not on the code path yet).
-spec beam_path(module()) -> string() | none.
beam_path(M) ->
    case code:which(M) of
        P when is_list(P) -> P;
        _ -> esc_bp_sources:indexed_beam(M)
    end.

%% Beam none or "": compiled in memory (no .beam); the object code esc_inmem kept, if any.
-spec minfo(module(), string() | none) -> {ok, minfo()} | {error, failure()}.
minfo(M, Beam) when Beam =:= none; Beam =:= "" ->
    _ = esc_bp_store:ensure(),
    case esc_inmem:object_code(M) of
        {ok, Bin} ->
            Key = {M, in_memory},
            Stamp = erlang:md5(Bin),
            case ets:lookup(esc_bp_forms, Key) of
                [{_, Stamp, Info}] -> {ok, Info};
                _ ->
                    case read_debug_info(M, Bin) of
                        {ok, Info} ->
                            ets:insert(esc_bp_forms, {Key, Stamp, Info}),
                            {ok, Info};
                        {error, #{reason := no_debug_info}} ->
                            {error, #{reason => no_debug_info,
                                      message => esc_lib:fmt("~s was compiled in memory from ~ts without debug info "
                                                             "(@compile or the :debug_info compiler option), so "
                                                             "breakpoints cannot be placed in it.",
                                                             [esc_lib:module_name(M), loaded_source(M)])}};
                        Err -> Err
                    end
            end;
        {error, full} ->
            {error, #{reason => no_debug_info,
                      message => esc_lib:fmt("~s was compiled in memory from ~ts after the debugger's store of in-memory "
                                             "modules was full, so its debug info was not kept.",
                                             [esc_lib:module_name(M), loaded_source(M)])}};
        {error, _} ->
            {error, #{reason => no_debug_info,
                      message => esc_lib:fmt("~s was compiled in memory from ~ts (no .beam file) before the debugger "
                                             "could keep its debug info. Breakpoints in test files and scripts work "
                                             "when the debug session launches them (task \"test\" or \"run\"), not "
                                             "in modules already loaded when the debugger attached.",
                                             [esc_lib:module_name(M), loaded_source(M)])}}
    end;
minfo(M, Beam) ->
    _ = esc_bp_store:ensure(),
    Stamp = case file:read_file_info(Beam, [{time, posix}]) of
                {ok, I} -> {element(6, I), element(2, I)};
                _ -> none
            end,
    Key = {M, Beam},
    case ets:lookup(esc_bp_forms, Key) of
        [{_, Stamp, Info}] when Stamp =/= none -> {ok, Info};
        _ ->
            case read_debug_info(M, Beam) of
                {ok, Info} ->
                    ets:insert(esc_bp_forms, {Key, Stamp, Info}),
                    {ok, Info};
                Err -> Err
            end
    end.

in_memory(B) -> B =:= none orelse B =:= "".

loaded_source(M) ->
    case catch proplists:get_value(source, M:module_info(compile)) of
        S when is_list(S) -> S;
        _ -> "an .exs file"
    end.

%% Beam: a .beam path, or the object code itself (in-memory modules; minfo's beam is then none).
read_debug_info(M, Beam) ->
    BeamPath = case is_binary(Beam) of true -> none; false -> Beam end,
    NoDbg = {error, #{reason => no_debug_info,
                      message => esc_lib:fmt("~s was compiled without debug info, so breakpoints cannot be placed in "
                                             "it. Recompile it with debug info.", [esc_lib:module_name(M)])}},
    case beam_lib:chunks(Beam, [debug_info, compile_info]) of
        {ok, {Mod, [{debug_info, {debug_info_v1, Backend, Data}}, {compile_info, CI}]}} ->
            Lang = case Backend of elixir_erl -> elixir; _ -> erlang end,
            case catch backend_forms(Backend, Mod, Data) of
                {ok, Forms} when is_list(Forms) ->
                    Src = case proplists:get_value(source, CI) of undefined -> <<>>; S -> esc_bp_sources:norm_path(S) end,
                    {ok, #{module => Mod, source => Src, lang => Lang, beam => BeamPath, forms => Forms,
                           functions => functions(Forms)}};
                _ -> NoDbg
            end;
        {ok, _} -> NoDbg;
        {error, beam_lib, {missing_chunk, _, _}} ->
            %% Pre-OTP-20 style abstract_code chunk.
            case beam_lib:chunks(Beam, [abstract_code, compile_info]) of
                {ok, {Mod, [{abstract_code, {raw_abstract_v1, Forms}}, {compile_info, CI}]}} ->
                    Src = case proplists:get_value(source, CI) of undefined -> <<>>; S -> esc_bp_sources:norm_path(S) end,
                    {ok, #{module => Mod, source => Src, lang => erlang, beam => BeamPath, forms => Forms,
                           functions => functions(Forms)}};
                _ -> NoDbg
            end;
        {error, beam_lib, _} when is_binary(Beam) ->
            {error, #{reason => not_found, message => esc_lib:fmt("Cannot read the object code of ~s.", [esc_lib:module_name(M)])}};
        {error, beam_lib, _} ->
            {error, #{reason => not_found, message => esc_lib:fmt("Cannot read ~ts.", [Beam])}}
    end.

backend_forms(Backend, Mod, Data) ->
    case code:ensure_loaded(Backend) of
        {module, _} -> Backend:debug_info(erlang_v1, Mod, Data, []);
        _ -> {error, no_backend}
    end.

%% Functions whose code comes from another file (Elixir's `use GenServer` injects callbacks quoted
%% with `location: :keep`: their clause sits on the `use` line, their code on lines of
%% gen_server.ex, announced by -file attributes) are marked foreign: never breakpoint targets.
functions(Forms) ->
    Files = [{F, L} || {attribute, _, file, {F, L}} <- Forms],
    Foreign = case Files of
                  [{Main, _} | _] -> [L || {F, L} <- Files, F =/= Main];
                  [] -> []
              end,
    [fun_info(F, A, Cs, Foreign) || {function, _, F, A, Cs} <- Forms].

fun_info(F, A, Cs, ForeignLines) ->
    Clauses = [clause_info(I, C) || {I, C} <- lists:zip(lists:seq(1, length(Cs)), Cs)],
    IsForeign = lists:any(fun({clause, A0, H, _G, B}) ->
                                  Ls = case all_lines(H) of [] -> all_lines(B); HLs -> HLs end,
                                  Ls =/= [] andalso lists:member(lists:min(Ls), ForeignLines)
                                      andalso lists:min(Ls) =/= erl_anno:line(A0)
                          end, Cs),
    #{name => F, arity => A, clauses => Clauses, default_wrapper => default_wrapper(F, A, Cs),
      foreign => IsForeign}.

clause_info(I, {clause, Anno, _, _, _} = C) ->
    HL = erl_anno:line(Anno),
    {_, Sites} = esc_probe_ast:clause(C, HL, fun(_, _) -> none end),
    Lines = lists:usort([L || #{line := L} <- Sites]),
    #{index => I, line => HL, last => lists:max([HL | all_lines(C)]), lines => Lines, form => C}.

all_lines(T) when is_tuple(T), tuple_size(T) >= 2 ->
    L = esc_probe_ast:line(T),
    [L || L > 0] ++ lists:append([all_lines(X) || X <- tl(tl(tuple_to_list(T)))]);
all_lines(Xs) when is_list(Xs) -> lists:append([all_lines(X) || X <- Xs]);
all_lines(_) -> [].

%% An Elixir default-argument wrapper: every clause's body is one local call to the same name
%% with more arguments.
default_wrapper(F, A, Cs) ->
    lists:all(fun({clause, _, _, [], [{call, _, {atom, _, F2}, Args}]}) -> F2 =:= F andalso length(Args) > A;
                 (_) -> false
              end, Cs).

%% A function's clauses (by debug info), or an error.
-spec function_info(module(), atom(), arity()) -> {ok, minfo(), finfo()} | {error, failure()}.
function_info(M, F, A) ->
    case minfo(M) of
        {ok, #{functions := Fs} = MI} ->
            case [FI || #{name := F2, arity := A2} = FI <- Fs, F2 =:= F, A2 =:= A] of
                [FI] -> {ok, MI, FI};
                [] -> {error, #{reason => not_found,
                                message => esc_lib:fmt("~s has no function ~s/~b.", [esc_lib:module_name(M), F, A])}}
            end;
        Err -> Err
    end.

%% The source name of a variable of the abstract code: Elixir's `_amount@1` is `amount`,
%% `__from@1` is `_from`, compiler temporaries (`_@1`) have none. Erlang names are themselves.
-spec source_name(lang(), atom()) -> binary() | none.
source_name(_, '_') -> none;
source_name(elixir, V) ->
    S = atom_to_binary(V, utf8),
    case binary:matches(S, <<"@">>) of
        [] -> S;
        Ms ->
            {At, _} = lists:last(Ms),
            case S of
                <<"_", Rest/binary>> when At > 1 -> binary:part(Rest, 0, At - 1);
                _ -> none
            end
    end;
source_name(erlang, V) -> atom_to_binary(V, utf8).

-spec clear_cache() -> ok.
clear_cache() ->
    _ = esc_bp_store:ensure(),
    ets:delete_all_objects(esc_bp_index),
    ets:delete_all_objects(esc_bp_forms),
    ok.

%% ------------------------------------------------------------------ helpers

names(Ms) -> lists:join(", ", [esc_lib:module_name(M) || M <- Ms]).
