%% Resolution of source breakpoints against real compiled code: the example project and fixture
%% modules (nested modules, several modules per file, a protocol and its implementation,
%% multi-clause functions, default arguments, defp, an Erlang source, modules without debug info).
-module(esc_bp_resolve_tests).

-include_lib("eunit/include/eunit.hrl").

setup() -> esc_bp_fixture:setup().

at(File, Line) -> at(File, Line, #{}).
at(File, Line, Opts) ->
    {ok, #{line := L, kind := K, targets := Ts}} = esc_bp_resolve:resolve(File, Line, Opts),
    {L, K, [{M, F, A, C} || #{module := M, function := F, arity := A, clause := C} <- Ts]}.

nested_module_test() ->
    setup(),
    F = esc_bp_fixture:ex_file(),
    ?assertEqual({6, body, [{'Elixir.EscFx.Outer.Inner', inner, 2, 1}]}, at(F, 6)),
    ?assertEqual({2, head, [{'Elixir.EscFx.Outer', outer, 1, 1}]}, at(F, 2)).

several_modules_per_file_test() ->
    setup(),
    F = esc_bp_fixture:ex_file(),
    Mods = [M || {M, _} <- esc_bp_sources:modules_for_source(F, #{})],
    ?assertEqual(['Elixir.EscFx.Outer', 'Elixir.EscFx.Outer.Inner', 'Elixir.EscFx.Second',
                  'Elixir.EscFx.Size', 'Elixir.EscFx.Size.Map'], lists:sort(Mods)),
    ?assertEqual({14, head, [{'Elixir.EscFx.Second', pick, 1, 1}]}, at(F, 14)).

multi_clause_test() ->
    setup(),
    F = esc_bp_fixture:ex_file(),
    ?assertEqual({15, head, [{'Elixir.EscFx.Second', pick, 1, 2}]}, at(F, 15)),
    ?assertEqual({16, body, [{'Elixir.EscFx.Second', pick, 1, 2}]}, at(F, 16)),
    %% The example's handle_call/3: four clauses, the third one's body.
    Acc = esc_bp_fixture:bank_source("account.ex"),
    ?assertEqual({31, head, [{'Elixir.Bank.Account', handle_call, 3, 2}]}, at(Acc, 31)),
    ?assertEqual({45, head, [{'Elixir.Bank.Account', handle_call, 3, 4}]}, at(Acc, 45)),
    ?assertEqual({42, body, [{'Elixir.Bank.Account', handle_call, 3, 3}]}, at(Acc, 42)).

default_args_test() ->
    setup(),
    %% inner/1 (the generated default wrapper) sits on the same line; only inner/2 is the target.
    F = esc_bp_fixture:ex_file(),
    ?assertEqual({5, head, [{'Elixir.EscFx.Outer.Inner', inner, 2, 1}]}, at(F, 5)),
    ?assertEqual({4, head, [{'Elixir.Bank.Demo', run, 2, 1}]}, at(esc_bp_fixture:bank_source("demo.ex"), 4)).

defp_test() ->
    setup(),
    F = esc_bp_fixture:ex_file(),
    ?assertEqual({19, head, [{'Elixir.EscFx.Second', helper, 1, 1}]}, at(F, 19)),
    ?assertEqual({20, body, [{'Elixir.EscFx.Second', helper, 1, 1}]}, at(F, 20)).

protocol_test() ->
    setup(),
    F = esc_bp_fixture:ex_file(),
    ?assertEqual({29, head, [{'Elixir.EscFx.Size.Map', size, 1, 1}]}, at(F, 29)),
    ?assertEqual({25, head, [{'Elixir.EscFx.Size', size, 1, 1}]}, at(F, 25)).

erlang_source_test() ->
    setup(),
    F = esc_bp_fixture:erl_file(),
    ?assertEqual({4, head, [{esc_fx_erl, f, 1, 1}]}, at(F, 4)),
    ?assertEqual({5, body, [{esc_fx_erl, f, 1, 1}]}, at(F, 5)),
    ?assertEqual({7, head, [{esc_fx_erl, f, 1, 2}]}, at(F, 7)).

no_code_moves_to_nearest_test() ->
    setup(),
    F = esc_bp_fixture:ex_file(),
    {ok, R} = esc_bp_resolve:resolve(F, 7),
    ?assertMatch(#{requested_line := 7, line := 8, moved := true, kind := body}, R),
    %% `@impl true` above a def moves to the def.
    ?assertEqual({25, head, [{'Elixir.Bank.Account', handle_call, 3, 1}]},
                 at(esc_bp_fixture:bank_source("account.ex"), 24)),
    {error, E} = esc_bp_resolve:resolve(F, 200),
    ?assertMatch(#{reason := no_code}, E),
    ?assertNotEqual(nomatch, binary:match(maps:get(message, E), <<"line 200">>)).

file_not_compiled_test() ->
    setup(),
    Missing = filename:join(esc_bp_fixture:dir(), "never_compiled.ex"),
    {error, E} = esc_bp_resolve:resolve(Missing, 3),
    ?assertMatch(#{reason := not_compiled}, E),
    ?assertNotEqual(nomatch, binary:match(maps:get(message, E), <<"mix compile">>)).

no_debug_info_test() ->
    setup(),
    {error, E1} = esc_bp_resolve:resolve(esc_bp_fixture:nodbg_erl_file(), 4),
    ?assertMatch(#{reason := no_debug_info}, E1),
    {error, E2} = esc_bp_resolve:resolve(esc_bp_fixture:nodbg_ex_file(), 3),
    ?assertMatch(#{reason := no_debug_info}, E2),
    ?assertNotEqual(nomatch, binary:match(maps:get(message, E2), <<"EscFx.NoDebug">>)).

%% The adapter passes ebin folders that are not on the code path yet (launch): still found.
extra_ebin_dirs_test() ->
    setup(),
    D = filename:join(esc_bp_fixture:dir(), "late_ebin"),
    ok = filelib:ensure_dir(filename:join(D, "x")),
    Src = filename:join(D, "esc_fx_late.erl"),
    ok = file:write_file(Src, "-module(esc_fx_late).\n-export([k/1]).\nk(X) ->\n    X.\n"),
    {ok, _} = compile:file(Src, [debug_info, {outdir, D}]),
    ?assertMatch({error, #{reason := not_compiled}}, esc_bp_resolve:resolve(Src, 3)),
    ?assertEqual({3, head, [{esc_fx_late, k, 1, 1}]}, at(Src, 3, #{ebin_dirs => [D]})),
    ?assertEqual(false, code:is_loaded(esc_fx_late)).

%% A path seen from elsewhere (another root, e.g. a container) matches by its unique suffix.
suffix_match_test() ->
    setup(),
    ?assertEqual({13, head, [{'Elixir.Bank.Account', deposit, 2, 1}]},
                 at(<<"/somewhere/else/lib/bank/account.ex">>, 13)).

%% ------------------------------------------------------------------ in-memory modules (.exs)

-define(INMEM_EXS, "defmodule EscFx.InMemTest do
  defmodule Helper do
    def twice(x) when is_integer(x) do
      y = x * 2
      y
    end
  end

  def run(n) do
    a = Helper.twice(n)
    a + 1
  end
end
").

%% Compiled in memory from an .exs with debug info off (as Mix >= 1.15 compiles test files), with the
%% agent's compilation tracer installed: no .beam, yet breakpoints resolve and modules describe.
in_memory_exs_module_test() ->
    setup(),
    File = filename:join(esc_bp_fixture:dir(), "inmem_test.exs"),
    ok = file:write_file(File, ?INMEM_EXS),
    Tracers = 'Elixir.Code':get_compiler_option(tracers),
    Dbg = 'Elixir.Code':get_compiler_option(debug_info),
    ok = esc_inmem:install(now),
    'Elixir.Code':put_compiler_option(debug_info, false),
    try
        {ok, _, _} = 'Elixir.Kernel.ParallelCompiler':require([list_to_binary(File)])
    after
        'Elixir.Code':put_compiler_option(tracers, Tracers),
        'Elixir.Code':put_compiler_option(debug_info, Dbg)
    end,
    Helper = 'Elixir.EscFx.InMemTest.Helper',
    ?assertEqual("", code:which(Helper)),
    ?assertEqual(error, code:get_object_code(Helper)),
    ?assertEqual({3, head, [{Helper, twice, 1, 1}]}, at(File, 3)),
    ?assertEqual({10, body, [{'Elixir.EscFx.InMemTest', run, 1, 1}]}, at(File, 10)),
    {modules, #{modules := [D]}} = esc_modinfo:describe([atom_to_binary(Helper, utf8)]),
    ?assertMatch(#{source := _, functions := [_ | _]}, D),
    ?assertEqual(list_to_binary(File), maps:get(source, D)).

%% A module compiled in memory whose object code nobody kept (a node attached after it loaded): the
%% message says so, without the advice about `debug_info: false` in mix.exs.
in_memory_not_kept_test() ->
    setup(),
    Src = filename:join(esc_bp_fixture:dir(), "unkept_test.exs"),
    {ok, esc_fx_unkept, Bin} = compile:forms(forms(esc_fx_unkept, Src), [binary, debug_info, {source, Src}]),
    {module, _} = code:load_binary(esc_fx_unkept, "", Bin),
    {error, E} = esc_bp_resolve:resolve(Src, 3),
    ?assertMatch(#{reason := no_debug_info}, E),
    Msg = maps:get(message, E),
    ?assertNotEqual(nomatch, binary:match(Msg, <<"compiled in memory">>)),
    ?assertEqual(nomatch, binary:match(Msg, <<"mix.exs">>)).

%% While an .exs file compiles only some of its modules exist: a line none of them covers stays
%% pending (not_compiled) instead of moving to a nearby line of another module; once the file is
%% compiled it moves as usual.
partial_file_pending_test() ->
    setup(),
    Src = filename:join(esc_bp_fixture:dir(), "partial_test.exs"),
    SrcBin = list_to_binary(Src),
    {ok, esc_fx_part, Bin} = compile:forms(forms(esc_fx_part, Src), [binary, debug_info, {source, Src}]),
    new = esc_inmem:store(esc_fx_part, SrcBin, Bin),
    {module, _} = code:load_binary(esc_fx_part, "", Bin),
    Dbg = 'Elixir.Code':get_compiler_option(debug_info),
    ok = esc_inmem:trace(start, #{file => SrcBin}),
    try
        ?assert(esc_inmem:compiling(SrcBin)),
        ?assertEqual({3, head, [{esc_fx_part, f, 1, 1}]}, at(Src, 3)),
        ?assertMatch({error, #{reason := not_compiled}}, esc_bp_resolve:resolve(Src, 6))
    after
        ok = esc_inmem:trace(stop, #{file => SrcBin}),
        'Elixir.Code':put_compiler_option(debug_info, Dbg)
    end,
    ?assertNot(esc_inmem:compiling(SrcBin)),
    ?assertEqual({4, body, [{esc_fx_part, f, 1, 1}]}, at(Src, 6)).

%% -module(M). -export([f/1]). on lines 1-2, f/1 on lines 3-4.
forms(M, Src) ->
    [{attribute, 1, file, {Src, 1}}, {attribute, 1, module, M}, {attribute, 2, export, [{f, 1}]},
     {function, 3, f, 1, [{clause, 3, [{var, 3, 'X'}], [],
                           [{match, 4, {var, 4, 'Y'}, {op, 4, '+', {var, 4, 'X'}, {integer, 4, 1}}},
                            {var, 4, 'Y'}]}]}].
