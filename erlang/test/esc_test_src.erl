%% Test helper (tests and benches): compiles an Erlang module from source text into a folder, writes
%% its beam there (so code:which/1 and object-code readers find it) and loads it, replacing old code.
-module(esc_test_src).

-export([load/2]).

%% Src holds one module ("-module(name)."); returns that module, loaded from Dir.
-spec load(file:filename(), string()) -> module().
load(Dir, Src) ->
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    {match, [Name]} = re:run(Src, "-module\\(([a-z_]+)\\)", [{capture, all_but_first, list}]),
    Erl = filename:join(Dir, Name ++ ".erl"),
    ok = file:write_file(Erl, Src),
    {ok, Mod, Bin} = compile:file(Erl, [debug_info, binary, return_errors]),
    File = filename:join(Dir, Name ++ ".beam"),
    ok = file:write_file(File, Bin),
    true = code:add_patha(Dir),
    _ = code:purge(Mod),
    {module, Mod} = code:load_binary(Mod, File, Bin),
    Mod.
