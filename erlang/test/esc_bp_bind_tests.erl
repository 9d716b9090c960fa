%% Named bindings of call events on the example's Bank.Account.handle_call/3 and fixtures.
-module(esc_bp_bind_tests).

-include_lib("eunit/include/eunit.hrl").

-define(ACC, 'Elixir.Bank.Account').

state(Balance) ->
    #{'__struct__' => ?ACC, id => b, balance => Balance, ops => 3}.

from() -> {self(), make_ref()}.

withdraw_selects_clause_2_test() ->
    esc_bp_fixture:setup(),
    S = state(500),
    {ok, B} = esc_bp_bind:bind(?ACC, handle_call, [{withdraw, 105}, from(), S]),
    ?assertMatch(#{clause := 2, line := 31}, B),
    ?assertEqual([{<<"amount">>, 105}, {<<"balance">>, 500}, {<<"state">>, S}], maps:get(bindings, B)).

guard_falls_through_to_clause_3_test() ->
    esc_bp_fixture:setup(),
    S = state(50),
    {ok, B} = esc_bp_bind:bind(?ACC, handle_call, [{withdraw, 105}, from(), S]),
    ?assertMatch(#{clause := 3, line := 40}, B),
    %% `_from` is not a binding (its source name starts with _), `state` is.
    ?assertEqual([{<<"amount">>, 105}, {<<"state">>, S}], maps:get(bindings, B)).

other_clauses_test() ->
    esc_bp_fixture:setup(),
    S = state(10),
    ?assertMatch({ok, #{clause := 1, bindings := [{<<"amount">>, 7}, {<<"state">>, S}]}},
                 esc_bp_bind:bind(?ACC, handle_call, [{deposit, 7}, from(), S])),
    ?assertMatch({ok, #{clause := 4, line := 45, bindings := [{<<"state">>, S}]}},
                 esc_bp_bind:bind(?ACC, handle_call, [balance, from(), S])),
    ?assertEqual({error, nomatch}, esc_bp_bind:bind(?ACC, handle_call, [{unknown}, from(), S])).

source_names_test() ->
    ?assertEqual(<<"amount">>, esc_bp_resolve:source_name(elixir, '_amount@1')),
    ?assertEqual(<<"state">>, esc_bp_resolve:source_name(elixir, '_state@12')),
    ?assertEqual(<<"_from">>, esc_bp_resolve:source_name(elixir, '__from@1')),
    ?assertEqual(none, esc_bp_resolve:source_name(elixir, '_@3')),
    ?assertEqual(<<"X">>, esc_bp_resolve:source_name(erlang, 'X')).

erlang_source_test() ->
    esc_bp_fixture:setup(),
    ?assertEqual({ok, #{clause => 1, line => 4, bindings => [{<<"X">>, 41}]}},
                 esc_bp_bind:bind(esc_fx_erl, f, [{ok, 41}])),
    ?assertMatch({ok, #{clause := 2, bindings := []}}, esc_bp_bind:bind(esc_fx_erl, f, [other])).

default_args_and_defp_test() ->
    esc_bp_fixture:setup(),
    ?assertMatch({ok, #{clause := 1, bindings := [{<<"a">>, 3}, {<<"b">>, 2}]}},
                 esc_bp_bind:bind('Elixir.EscFx.Outer.Inner', inner, [3, 2])),
    ?assertMatch({ok, #{clause := 2, bindings := [{<<"n">>, 5}]}},
                 esc_bp_bind:bind('Elixir.EscFx.Second', pick, [5])),
    ?assertMatch({ok, #{clause := 1, bindings := [{<<"n">>, 5}]}},
                 esc_bp_bind:bind('Elixir.EscFx.Second', helper, [5])).
