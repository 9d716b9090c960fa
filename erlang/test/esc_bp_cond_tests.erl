%% Conditions compiled into match specifications, checked on a real gen_server under a real call
%% trace (messages counted), plus the agent-side fallback, hit conditions and log messages.
-module(esc_bp_cond_tests).

-include_lib("eunit/include/eunit.hrl").

-define(ACC, 'Elixir.Bank.Account').
-define(HC, {?ACC, handle_call, 3}).

acc() -> esc_bp_fixture:bank_source("account.ex").

prep(Id, Line, Cond) ->
    esc_bp_plan:prepare(#{id => Id, file => acc(), line => Line, condition => Cond},
                   #{ebin_dirs => [esc_bp_fixture:bank_ebin()]}).

traced(Prepared, Balance, Calls) ->
    esc_bp_fixture:traced_calls(b, Balance, Prepared, Calls).

%% The clause head became the match-spec head, the condition over a struct field its guard.
struct_field_condition_compiles_to_match_spec_test() ->
    esc_bp_fixture:setup(),
    {ok, P} = prep(1, 31, <<"amount > 100 and state.balance < 500">>),
    Ms = esc_bp_ms:match_specs([P], ?HC, []),
    %% Clause 1 ({:deposit, amount}) blocks, clause 2's head keeps its literal and binds '$N'. The
    %% condition's map_get could raise: "evaluated and false" sends nothing, "raised" goes to the agent.
    Cond = {'andalso', {'>', '$1', 100}, {'<', {map_get, {const, balance}, '$3'}, 500}},
    [{[{deposit, '$1'}, '$2', '$3'], [{'>', '$1', 0}], [{message, false}]},
     {[{withdraw, '$1'}, '$2', '$3'], Guard, [{message, {const, {esc_bp, [1]}}}]},
     {[{withdraw, '$1'}, '$2', '$3'], [{is_atom, Cond} | Guard2], [{message, false}]},
     {[{withdraw, '$1'}, '$2', '$3'], Guard2, [{message, {const, {esc_bp_check, [1]}}}]}] = Ms,
    ?assertEqual([Cond | Guard2], Guard),
    ?assert(esc_bp_ms:ms_ok(Ms)).

struct_field_condition_on_real_gen_server_test() ->
    esc_bp_fixture:setup(),
    {ok, P} = prep(1, 31, <<"amount > 100 and state.balance < 500">>),
    %% balance 400: withdraw 105 hits (clause 2, balance < 500); withdraw 5 (amount too small),
    %% deposits (clause 1) and balance (clause 4) never send anything.
    {_, Msgs} = traced([P], 400, [{deposit, 1}, {withdraw, 5}, {withdraw, 105}, balance, {withdraw, 50}]),
    ?assertMatch([{trace, _, call, {?ACC, handle_call, [{withdraw, 105}, _, _]}, {esc_bp, [1]}}], Msgs),
    %% The agent side: clause 2's named bindings for the hit.
    [Hit] = Msgs,
    {Actions, Bound, _} = esc_bp_hit:on_hit([P], Hit, #{}),
    ?assertEqual([{stop, 1}], Actions),
    ?assertMatch(#{clause := 2, bindings := [{<<"amount">>, 105}, {<<"balance">>, 396}, {<<"state">>, _}]}, Bound).

never_matching_condition_sends_nothing_test() ->
    esc_bp_fixture:setup(),
    {ok, P} = prep(1, 31, <<"state.id == :nobody">>),
    {Replies, Msgs} = traced([P], 1000, [{withdraw, 1} || _ <- lists:seq(1, 200)] ++ [{deposit, 3}, balance]),
    ?assertEqual(202, length(Replies)),
    ?assertEqual([], Msgs).

%% A condition outside the guard subset: the match spec filters on the clause, the agent checks.
fallback_condition_runs_in_agent_test() ->
    esc_bp_fixture:setup(),
    {ok, P2} = prep(3, 31, <<"Enum.member?([14, 21], amount)">>),
    #{entries := [#{condition := #{ms := none}}]} = P2,
    {_, Msgs} = traced([P2], 1000, [{withdraw, 14}, {withdraw, 15}, {withdraw, 21}]),
    ?assertEqual(3, length(Msgs)),
    Results = [element(1, esc_bp_hit:on_hit([P2], M, #{})) || M <- Msgs],
    ?assertEqual([[{stop, 3}], [], [{stop, 3}]], Results).

two_breakpoints_on_one_function_test() ->
    esc_bp_fixture:setup(),
    {ok, A} = prep(1, 31, <<"amount > 100">>),
    {ok, B} = prep(2, 31, <<"amount < 200">>),
    {ok, C} = prep(3, 25, <<"amount == 7">>),
    {_, Msgs} = traced([A, B, C], 1000, [{withdraw, 150}, {withdraw, 250}, {withdraw, 50}, {deposit, 7}, {deposit, 8}]),
    ?assertEqual([{esc_bp, [1, 2]}, {esc_bp, [1]}, {esc_bp, [2]}, {esc_bp, [3]}],
                 [element(5, M) || M <- Msgs]).

%% With the engine's own recording match spec as the base, every call is still recorded.
base_recording_kept_test() ->
    esc_bp_fixture:setup(),
    {ok, P} = prep(1, 31, <<"amount > 100">>),
    Ms = esc_bp_ms:match_specs([P], ?HC, [{'_', [], [{exception_trace}]}]),
    ?assertMatch({'_', [], [{exception_trace}]}, lists:last(Ms)),
    ?assertMatch({ok, {esc_bp, [1]}, [exception_trace], _},
                 erlang:match_spec_test([{withdraw, 150}, x, #{'__struct__' => ?ACC, balance => 1000}], Ms, trace)),
    ?assertMatch({ok, true, [exception_trace], _},
                 erlang:match_spec_test([{deposit, 150}, x, #{}], Ms, trace)).

%% The engine-facing helper: patterns appear for new breakpoints and go back to the base after.
sync_patterns_test() ->
    esc_bp_fixture:setup(),
    {module, _} = code:ensure_loaded(?ACC),
    {ok, P} = prep(1, 31, <<"amount > 100">>),
    Base = fun(_) -> [] end,
    ok = esc_bp_ms:sync_patterns([], [P], Base),
    ?assertMatch({match_spec, [_ | _]}, erlang:trace_info(?HC, match_spec)),
    ok = esc_bp_ms:sync_patterns([P], [], Base),
    ?assertEqual({traced, false}, erlang:trace_info(?HC, traced)),
    Recorded = fun(_) -> [{'_', [], [{exception_trace}]}] end,
    ok = esc_bp_ms:sync_patterns([], [P], Recorded),
    ok = esc_bp_ms:sync_patterns([P], [], Recorded),
    ?assertEqual({match_spec, [{'_', [], [{exception_trace}]}]}, erlang:trace_info(?HC, match_spec)),
    erlang:trace_pattern(?HC, false, [local]).

invalid_condition_gives_compiler_message_test() ->
    esc_bp_fixture:setup(),
    {error, E1} = prep(1, 31, <<"amount >">>),
    ?assertMatch(#{reason := invalid_condition}, E1),
    ?assertNotEqual(nomatch, binary:match(maps:get(message, E1), <<"syntax error">>)),
    {error, E2} = prep(1, 31, <<"amount > 1 and nope.field">>),
    ?assertMatch(#{reason := invalid_condition}, E2),
    ?assertNotEqual(nomatch, binary:match(maps:get(message, E2), <<"nope">>)),
    {error, E3} = prep(1, 31, <<"unknown_fun(amount) > 1">>),
    ?assertMatch(#{reason := invalid_condition}, E3),
    ?assertNotEqual(nomatch, binary:match(maps:get(message, E3), <<"undefined function unknown_fun/1">>)).

guard_subset_test() ->
    esc_bp_fixture:setup(),
    N = #{<<"amount">> => '$1', <<"state">> => '$2', <<"msg">> => '$3', <<"list">> => '$4',
          <<"m">> => '$5', <<"flag">> => '$6'},
    G = fun(S) -> {ok, A} = esc_bp_cond:parse(S), esc_bp_guard:guard(A, N) end,
    ?assertEqual({ok, {is_integer, '$1'}}, G(<<"is_integer(amount)">>)),
    ?assertEqual({ok, {'==', {element, 1, '$3'}, {const, withdraw}}}, G(<<"elem(msg, 0) == :withdraw">>)),
    ?assertEqual({ok, {'==', {map_get, {const, id}, '$2'}, {const, b}}}, G(<<"state.id == :b">>)),
    ?assertEqual({ok, {'>', {length, '$4'}, 2}}, G(<<"length(list) > 2">>)),
    ?assertEqual({ok, {'==', {map_size, '$5'}, 0}}, G(<<"map_size(m) == 0">>)),
    ?assertEqual({ok, {'not', '$6'}}, G(<<"not flag">>)),
    ?assertEqual({ok, {'==', {size, '$3'}, 2}}, G(<<"tuple_size(msg) == 2">>)),
    ?assertEqual({ok, {'=:=', {hd, '$4'}, {tl, '$4'}}}, G(<<"hd(list) === tl(list)">>)),
    ?assertMatch({ok, {'orelse', _, _}}, G(<<"amount in [1, 2]">>)),
    ?assertEqual(unsupported, G(<<"Enum.sum(list) > 3">>)),
    ?assertEqual({unbound, other}, G(<<"other > 3">>)),
    %% Each guard is a valid match spec and behaves like Elixir on real values.
    Ms = fun(S) -> {ok, X} = G(S), [{['$1', '$2', '$3', '$4', '$5', '$6'], [X], [true]}] end,
    Args = [150, #{id => b, balance => 3}, {withdraw, 1}, [1, 2, 3], #{}, false],
    [?assertMatch({ok, true, _, _}, erlang:match_spec_test(Args, Ms(S), trace))
     || S <- [<<"amount > 100 and state.balance < 500">>, <<"is_integer(amount)">>, <<"elem(msg, 0) == :withdraw">>,
              <<"state.id == :b">>, <<"length(list) > 2">>, <<"map_size(m) == 0">>, <<"not flag">>,
              <<"amount in [150, 2]">>, <<"is_nil(state.balance) or state.balance == 3">>]],
    ?assertMatch({ok, false, _, _}, erlang:match_spec_test(Args, Ms(<<"state.nokey == 1">>), trace)).

hit_conditions_test() ->
    ?assertEqual({ok, none}, esc_bp_hitcond:hit_condition(<<>>)),
    {ok, H3} = esc_bp_hitcond:hit_condition(<<"3">>),
    ?assertEqual([false, false, true, true], [esc_bp_hitcond:hit_ok(H3, N) || N <- [1, 2, 3, 4]]),
    {ok, E3} = esc_bp_hitcond:hit_condition(<<"== 3">>),
    ?assertEqual([false, false, true, false], [esc_bp_hitcond:hit_ok(E3, N) || N <- [1, 2, 3, 4]]),
    {ok, G3} = esc_bp_hitcond:hit_condition(<<">= 3">>),
    ?assertEqual([false, true, true], [esc_bp_hitcond:hit_ok(G3, N) || N <- [2, 3, 9]]),
    {ok, M10} = esc_bp_hitcond:hit_condition(<<"% 10">>),
    ?assertEqual([false, true, false, true], [esc_bp_hitcond:hit_ok(M10, N) || N <- [9, 10, 11, 20]]),
    ?assertMatch({error, _}, esc_bp_hitcond:hit_condition(<<"every 3">>)).

hit_condition_counts_hits_after_condition_test() ->
    esc_bp_fixture:setup(),
    {ok, P} = esc_bp_plan:prepare(#{id => 9, file => acc(), line => 31, condition => <<"amount > 10">>,
                               hit_condition => <<"% 2">>}, #{}),
    {_, Msgs} = traced([P], 1000, [{withdraw, 11}, {withdraw, 1}, {withdraw, 12}, {withdraw, 13}, {withdraw, 14}]),
    {Acts, _} = lists:foldl(fun(M, {Acc, Cs}) -> {A, _, Cs2} = esc_bp_hit:on_hit([P], M, Cs), {Acc ++ A, Cs2} end,
                            {[], #{}}, Msgs),
    ?assertEqual([{stop, 9}, {stop, 9}], Acts).

log_message_test() ->
    esc_bp_fixture:setup(),
    {ok, L} = esc_bp_log:log_message(<<"withdraw {amount} from {state.id} ({elem(msg, 0)}, \\{literal})">>),
    B = [{<<"amount">>, 105}, {<<"state">>, #{id => b}}, {<<"msg">>, {withdraw, 105}}],
    ?assertEqual(<<"withdraw 105 from :b (:withdraw, {literal})">>, esc_bp_log:format_log(L, B)),
    ?assertEqual(<<"x=<error: nope.x>">>, esc_bp_log:format_log(element(2, esc_bp_log:log_message(<<"x={nope.x}">>)), B)),
    ?assertMatch({error, _}, esc_bp_log:log_message(<<"unclosed {amount">>)),
    %% Outside the interpreted subset: compiled once, still rendered.
    {ok, L2} = esc_bp_log:log_message(<<"n={Enum.count([amount, amount])} s={state[:id]}">>),
    ?assertEqual(<<"n=2 s=:b">>, esc_bp_log:format_log(L2, B)),
    %% A log point on the real gen_server: no stop, a rendered message.
    {ok, P} = esc_bp_plan:prepare(#{id => 5, file => acc(), line => 31,
                               log_message => <<"withdraw {amount} from {state.id}">>}, #{}),
    {_, [Msg]} = traced([P], 1000, [{withdraw, 105}]),
    ?assertMatch({[{log, 5, <<"withdraw 105 from :b">>}], _, _}, esc_bp_hit:on_hit([P], Msg, #{})).

function_breakpoint_test() ->
    esc_bp_fixture:setup(),
    ?assertEqual({ok, {'Elixir.Bank.Ledger', handle_cast, 2}}, esc_bp_plan:parse_function(<<"Bank.Ledger.handle_cast/2">>)),
    ?assertEqual({ok, {'Elixir.Bank.Ledger', handle_cast, any}}, esc_bp_plan:parse_function(<<"Bank.Ledger.handle_cast">>)),
    ?assertEqual({ok, {lists, reverse, 1}}, esc_bp_plan:parse_function(<<":lists.reverse/1">>)),
    ?assertEqual({ok, {lists, reverse, 1}}, esc_bp_plan:parse_function(<<"lists:reverse/1">>)),
    {ok, P} = esc_bp_plan:prepare(#{id => 7, function => <<"Bank.Account.handle_call/3">>,
                               condition => <<"state.balance < 100">>}, #{}),
    ?assertEqual([?HC], esc_bp_ms:patterns([P])),
    %% 150 -> 140 -> 39 (fee 1): then every clause sees a balance under 100.
    {_, Msgs} = traced([P], 150, [{withdraw, 10}, {withdraw, 100}, {deposit, 1}, balance, {withdraw, 1000}]),
    ?assertEqual([{{deposit, 1}, {esc_bp, [7]}}, {balance, {esc_bp, [7]}}, {{withdraw, 1000}, {esc_bp, [7]}}],
                 [{hd(Args), Tag} || {trace, _, call, {_, _, Args}, Tag} <- Msgs]).
