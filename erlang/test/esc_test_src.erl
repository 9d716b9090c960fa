%% Test helper (tests and benches): compiles an Erlang module from source text into a folder, writes
%% its beam there (so code:which/1 and object-code readers find it) and loads it, replacing old code.
-module(esc_test_src).

-export([load/2, unloaded_fun/1]).

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

%% A fun whose module is no longer loaded (as one arriving from a node that runs other code): the VM
%% then answers [] for its name. Mod must be a fresh module name.
-spec unloaded_fun(module()) -> function().
unloaded_fun(Mod) ->
    Forms = [{attribute, 1, module, Mod}, {attribute, 1, export, [{make, 0}]},
             {function, 1, make, 0, [{clause, 1, [], [], [{'fun', 1, {clauses, [{clause, 1, [], [], [{atom, 1, ok}]}]}}]}]}],
    {ok, Mod, Beam} = compile:forms(Forms),
    {module, _} = code:load_binary(Mod, atom_to_list(Mod) ++ ".erl", Beam),
    Self = self(),
    spawn(fun() -> Self ! {esc_unloaded_fun, term_to_binary(Mod:make())} end),
    Bin = receive {esc_unloaded_fun, B} -> B end,
    true = code:delete(Mod),
    _ = code:purge(Mod),
    binary_to_term(Bin).
