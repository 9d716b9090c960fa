%% Which compiled modules come from a source file, on the node: the .beam files of the ebin folders
%% the adapter names and of the non-OTP code path, indexed by the source path their `compile` info
%% gives, then modules compiled in memory (esc_inmem), then any loaded module.
%%
%% At launch the project's ebin may not be on the code path yet when the adapter first asks: the
%% adapter passes the ebin folders (`ebin_dirs`). The index (the esc_bp_index table) is cached per
%% .beam file (mtime + size), so repeated resolutions only stat the files. The node may see the
%% project under another root than the adapter (a container): a path then matches by its longest
%% unique suffix.
-module(esc_bp_sources).

-export([modules_for_source/2, indexed_beam/1, norm_path/1]).

%% Modules compiled from File, with the .beam path they come from (none: loaded from memory).
-spec modules_for_source(iodata(), map()) -> [{module(), string() | none}].
modules_for_source(File0, Opts) ->
    File = norm_path(File0),
    _ = esc_bp_store:ensure(),
    Dirs = lists:usort([to_list(D) || D <- maps:get(ebin_dirs, Opts, [])] ++ project_path()),
    Entries = lists:append([index_dir(D) || D <- Dirs]),
    Found = match_source(File, [{M, P, S} || {P, M, S} <- Entries]),
    Mem = case Found of
              [] -> match_source(File, esc_inmem:entries());
              _ -> []
          end,
    Loaded = case Found ++ Mem of
                 [] -> match_source(File, loaded_sources());
                 _ -> []
             end,
    Pairs = [{M, prefer_loaded(M, P)} || {M, P, _} <- Found ++ Loaded] ++ [{M, none} || {M, _, _} <- Mem],
    lists:ukeysort(1, Pairs).

%% Exact path match first; otherwise the longest unique suffix match of at least two path
%% components (the node may see the project under another root, e.g. in a container).
match_source(File, Entries) ->
    case [E || {_, _, S} = E <- Entries, S =:= File] of
        [] ->
            Parts = lists:reverse(filename:split(File)),
            Scored = [{common(Parts, lists:reverse(filename:split(S))), E} || {_, _, S} = E <- Entries],
            Best = lists:max([0 | [N || {N, _} <- Scored]]),
            Winners = [E || {N, E} <- Scored, N =:= Best],
            Sources = lists:usort([S || {_, _, S} <- Winners]),
            case Best >= 2 andalso length(Sources) =:= 1 of
                true -> Winners;
                false -> []
            end;
        Exact -> Exact
    end.

common([X | A], [X | B]) -> 1 + common(A, B);
common(_, _) -> 0.

prefer_loaded(M, Path) ->
    case code:is_loaded(M) of
        {file, F} when is_list(F) -> F;
        _ -> Path
    end.

index_dir(Dir) ->
    case file:list_dir(Dir) of
        {ok, Files} ->
            [E || F <- Files, filename:extension(F) =:= ".beam",
                  E <- index_file(filename:join(Dir, F))];
        _ -> []
    end.

index_file(Path) ->
    case file:read_file_info(Path, [{time, posix}]) of
        {ok, Info} ->
            Stamp = {element(6, Info), element(2, Info)},   % mtime, size
            case ets:lookup(esc_bp_index, Path) of
                [{_, Stamp, M, S}] -> [{Path, M, S}];
                _ ->
                    case beam_lib:chunks(Path, [compile_info]) of
                        {ok, {M, [{compile_info, CI}]}} ->
                            S = case proplists:get_value(source, CI) of
                                    undefined -> <<>>;
                                    Src -> norm_path(Src)
                                end,
                            ets:insert(esc_bp_index, {Path, Stamp, M, S}),
                            [{Path, M, S}];
                        _ -> []
                    end
            end;
        _ -> []
    end.

%% Elixir's elixir_compiler_N modules run a file's top-level code and are deleted right after.
loaded_sources() ->
    Sys = system_dirs(),
    [{M, P, norm_path(S)}
     || {M, P0} <- code:all_loaded(), not is_system(P0, Sys),
        not lists:prefix("elixir_compiler_", atom_to_list(M)),
        P <- [case P0 of _ when is_list(P0) -> P0; _ -> none end],
        S <- [proplists:get_value(source, try M:module_info(compile) catch _:_ -> [] end)],
        S =/= undefined].

project_path() ->
    Sys = system_dirs(),
    [D || D <- code:get_path(), not is_system(D, Sys)].

is_system(Path, Sys) when is_list(Path) -> lists:any(fun(S) -> lists:prefix(S, Path) end, Sys);
is_system(_, _) -> true.

system_dirs() ->
    Elixir = [filename:dirname(D) || A <- [elixir, eex, mix, logger, iex, ex_unit],
                                     is_list(D = code:lib_dir(A))],
    lists:usort([code:lib_dir() | Elixir]).

%% The .beam of M the index found (in an ebin folder the adapter passed), or none.
-spec indexed_beam(module()) -> string() | none.
indexed_beam(M) ->
    _ = esc_bp_store:ensure(),
    case ets:match(esc_bp_index, {'$1', '_', M, '_'}) of
        [[P] | _] -> P;
        [] -> none
    end.

%% ------------------------------------------------------------------ paths

%% An absolute path without `.` and `..`, as a binary: how sources are compared.
-spec norm_path(iodata() | atom()) -> binary().
norm_path(P) ->
    Abs = filename:absname(to_list(P)),
    unicode:characters_to_binary(filename:join(normalize(filename:split(Abs), []))).

normalize([], Acc) -> lists:reverse(Acc);
normalize(["." | T], Acc) -> normalize(T, Acc);
normalize([".." | T], [_Root] = Acc) -> normalize(T, Acc);
normalize([".." | T], [_ | Acc]) -> normalize(T, Acc);
normalize([H | T], Acc) -> normalize(T, [H | Acc]).

to_list(B) when is_binary(B) -> unicode:characters_to_list(B);
to_list(L) when is_list(L) -> unicode:characters_to_list(L);
to_list(A) when is_atom(A) -> atom_to_list(A).
