%% EUnit: evaluation on the node (esc_eval) — the Debug Console's rebinding (exact terms of recent
%% hits, the true reason a binding is missing) and pure evaluation for hovers and watches (esc_pure).
-module(esc_eval_tests).

-include_lib("eunit/include/eunit.hrl").

b(Name, Term) -> #{name => Name, value => esc_term:capture(Term)}.
raw(Name, Msg) -> #{name => Name, value => Msg}.

state() -> #{'__struct__' => 'Elixir.Bank.Account', id => b, balance => 10, ops => 2}.

console(Code, Bindings) -> esc_eval:request(#{code => Code, bindings => Bindings}).
pure(Code, Bindings) -> esc_eval:request(#{code => Code, bindings => Bindings, pure => true}).

value({eval, #{value := V}}) -> {ok, T} = esc_term:to_term(V), T;
value(Other) -> error({not_a_value, Other}).

message({error, #{message := M}}) -> M;
message(Other) -> error({not_an_error, Other}).

%% ------------------------------------------------------------------ the console's rebinding

missing_binding_names_its_true_reason_test() ->
    esc_bp_fixture:ensure_elixir(),
    Local = fun(X) -> X + 1 end,
    Cut = #{value => {map, #{entries => [], omitted => 3}}},
    M = message(console(<<"f.(1) + map_size(m)">>, [b(<<"f">>, Local), raw(<<"m">>, Cut)])),
    %% Nothing was cut for f: it says why f is missing, and m's cut only for m.
    ?assertMatch({_, _}, binary:match(M, <<"f — it holds a local fun"/utf8>>)),
    ?assertMatch({_, _}, binary:match(M, <<"m — a map in it was cut by the capture limits"/utf8>>)),
    ?assertEqual(nomatch, binary:match(M, <<"f — a map"/utf8>>)).

pids_and_refs_rebind_exactly_test() ->
    esc_bp_fixture:ensure_elixir(),
    Ref = make_ref(),
    ?assertEqual(true, value(console(<<"p == self_pid and r == ref">>,
                                     [b(<<"p">>, self()), b(<<"r">>, Ref), b(<<"self_pid">>, self()), b(<<"ref">>, Ref)]))),
    ?assertEqual(self(), value(console(<<"p">>, [b(<<"p">>, self())]))).

recent_hits_give_the_exact_terms_test() ->
    esc_bp_fixture:ensure_elixir(),
    with_hits(fun() ->
        Local = fun(X) -> X * 3 end,
        Big = lists:seq(1, 500),                            % cut by the capture limits (32 items)
        ok = esc_hits:keep(77, [{<<"f">>, Local}, {<<"big">>, Big}, {<<"p">>, self()}]),
        Captured = [b(<<"f">>, Local), raw(<<"big">>, esc_term:capture(Big, #{whole => false})), b(<<"p">>, self())],
        %% Without the event: f and big cannot be rebuilt.
        ?assertMatch({error, _}, console(<<"f.(2) + length(big)">>, Captured)),
        %% With it: the exact local fun and the whole list.
        R = esc_eval:request(#{code => <<"{f.(2), length(big), p}">>, bindings => Captured, events => [77]}),
        ?assertEqual({6, 500, self()}, value(R))
    end).

hits_are_bounded_test() ->
    with_hits(fun() ->
        N = esc_hits:slots(),
        [ok = esc_hits:keep(S, [{<<"x">>, S}]) || S <- lists:seq(1, N + 1)],
        ?assertEqual(none, esc_hits:lookup(1)),                          % the oldest was replaced
        ?assertEqual({ok, [{<<"x">>, N + 1}]}, esc_hits:lookup(N + 1)),
        ?assertEqual({ok, [{<<"x">>, 2}]}, esc_hits:lookup(2)),
        Huge = lists:seq(1, esc_hits:max_words()),
        ok = esc_hits:keep(5000, [{<<"h">>, Huge}]),
        ?assertEqual(none, esc_hits:lookup(5000))                         % too large: not kept
    end),
    %% No table (no engine): nothing kept, nothing found, no crash.
    ?assertEqual(ok, esc_hits:keep(9, [{<<"x">>, 1}])),
    ?assertEqual(none, esc_hits:lookup(9)).

%% The table lives as long as its owner (the engine's controller): a process here.
with_hits(Fun) ->
    Self = self(),
    Owner = spawn(fun() -> ok = esc_hits:new(), Self ! ready, receive stop -> ok end end),
    receive ready -> ok end,
    try Fun() after
        Ref = monitor(process, Owner),
        Owner ! stop,
        receive {'DOWN', Ref, _, _, _} -> ok end
    end.

%% ------------------------------------------------------------------ pure evaluation (hovers, watches)

pure_expressions_evaluate_test() ->
    esc_bp_fixture:ensure_elixir(),
    Bs = [b(<<"state">>, state()), b(<<"amount">>, 4), b(<<"list">>, [1, 2, 3]), b(<<"name">>, <<"ab">>)],
    ?assertEqual(11, value(pure(<<"state.balance + 1">>, Bs))),
    ?assertEqual(10, value(pure(<<"Map.get(state, :balance)">>, Bs))),
    ?assertEqual(true, value(pure(<<"state.balance > amount and Map.has_key?(state, :id)">>, Bs))),
    ?assertEqual(6, value(pure(<<"Enum.count(list) + length(list)">>, Bs))),
    ?assertEqual(<<"abc">>, value(pure(<<"name <> \"c\"">>, Bs))),
    ?assertEqual(true, value(pure(<<"amount in [1, 4]">>, Bs))),
    ?assertEqual(10, value(pure(<<"state |> Map.get(:balance)">>, Bs))),
    ?assertEqual([2, 4, 6], value(pure(<<"Enum.map(list, fn x -> x * 2 end)">>, Bs))),
    ?assertEqual(<<"4">>, value(pure(<<"to_string(amount)">>, Bs))),
    ?assertEqual(big, value(pure(<<"cond do amount > 3 -> :big; true -> :small end">>, Bs))),
    ?assertEqual(3, value(pure(<<"elem({1, 2, 3}, 2)">>, Bs))).

impure_expressions_are_refused_and_do_not_run_test() ->
    esc_bp_fixture:ensure_elixir(),
    File = filename:join(os:getenv("TMPDIR", "/tmp"), "esc_eval_pure_" ++ integer_to_list(erlang:unique_integer([positive]))),
    ok = file:write_file(File, <<"keep">>),
    Bs = [b(<<"path">>, unicode:characters_to_binary(File)), b(<<"pid">>, self()), b(<<"mod">>, 'Elixir.File'),
          b(<<"state">>, state())],
    Refused = fun(Code) ->
                      R = pure(Code, Bs),
                      ?assertMatch({error, #{code := 2112}}, R),
                      message(R)
              end,
    ?assertMatch({_, _}, binary:match(Refused(<<"File.rm!(path)">>), <<"File.rm!/1 is not on the pure allow-list">>)),
    ?assertMatch({_, _}, binary:match(Refused(<<"send(pid, :x)">>), <<"send/2 is not on the pure allow-list">>)),
    Refused(<<"state.balance + (File.rm!(path); 1)">>),
    Refused(<<"Enum.map([path], &File.rm!/1)">>),
    Refused(<<"Enum.each([path], fn p -> File.rm!(p) end)">>),
    Refused(<<"if true, do: File.rm!(path)">>),
    Refused(<<":erlang.apply(File, :rm!, [path])">>),
    Refused(<<"apply(File, :rm!, [path])">>),
    Refused(<<"(fn -> 1 end).()">>),
    Refused(<<"mod.rm!(path)">>),
    Refused(<<"mod.cwd!">>),                                      % on an atom, Elixir would call File.cwd!()
    Refused(<<"Enum.count(state)">>),                             % would run Bank.Account's own Enumerable
    ?assertEqual({ok, <<"keep">>}, file:read_file(File)),
    receive Msg -> ?assertEqual(no_message, Msg) after 0 -> ok end,
    %% The same code runs in the console (not pure).
    ?assertEqual(ok, value(console(<<"File.rm!(path)">>, Bs))),
    ?assertEqual({error, enoent}, file:read_file(File)).

pure_evaluation_binds_no_fun_test() ->
    esc_bp_fixture:ensure_elixir(),
    Ext = fun erlang:self/0,
    M = message(pure(<<"f.()">>, [b(<<"f">>, Ext)])),
    ?assertMatch({_, _}, binary:match(M, <<"anonymous function">>)),
    M2 = message(pure(<<"Enum.map([1], f)">>, [b(<<"f">>, Ext)])),
    ?assertMatch({_, _}, binary:match(M2, <<"f — it holds a fun"/utf8>>)).

allow_list_test() ->
    ?assert(esc_pure:allowed('Elixir.Map', get, 2)),
    ?assert(esc_pure:allowed('Elixir.Kernel', '+', 2)),
    ?assertNot(esc_pure:allowed('Elixir.File', 'rm!', 1)),
    ?assertNot(esc_pure:allowed('Elixir.Kernel', send, 2)),
    ?assertNot(esc_pure:allowed('Elixir.String', to_atom, 1)),
    ?assertNot(esc_pure:allowed(erlang, apply, 3)).
