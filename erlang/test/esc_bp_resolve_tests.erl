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
    Mods = [M || {M, _} <- esc_bp_resolve:modules_for_source(F, #{})],
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
