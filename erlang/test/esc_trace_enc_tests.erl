%% esc_trace_enc must produce exactly the bytes of esc_proto:encode_msg(esc_term:capture(T, L), 'Term')
%% for every term and limit: the hot path may not drift from the reference capture.
-module(esc_trace_enc_tests).

-include_lib("eunit/include/eunit.hrl").

corpus() ->
    [a, '', 'Elixir.Bank.Account', 0, 63, 64, -1, 1 bsl 53, -(1 bsl 53), (1 bsl 53) + 1, -(1 bsl 80),
     1.5, -0.0, 1.0e300, <<>>, <<"abc">>, binary:copy(<<"x">>, 300), <<1:3>>, <<1, 2, 3:5>>,
     binary:copy(<<7>>, 300) , <<(binary:copy(<<7>>, 300))/binary, 1:2>>,
     self(), make_ref(), hd(erlang:ports()), fun() -> ok end, fun lists:map/2,
     [], [1, 2 | 3], lists:seq(1, 100), "hello", [a | b], {}, {a, b, c}, list_to_tuple(lists:seq(1, 50)),
     #{}, #{a => 1, b => [x]}, maps:from_list([{I, I} || I <- lists:seq(1, 100)]),
     #{'__struct__' => 'Elixir.Bank.Account', balance => 90, id => b, ops => 17},
     [[[[[[[[[[[deep]]]]]]]]]]], lists:duplicate(100, lists:seq(1, 30)),
     lists:foldl(fun(_, Acc) -> [Acc] end, x, lists:seq(1, 150)),
     {ok, "hello", <<"w">>, #{k => {1, 2.0}}, [{x, self()}]}].

limits() ->
    [#{}, #{depth => 2}, #{items => 3}, #{binary_bytes => 4}, #{budget => 10},
     #{depth => 1, items => 1, binary_bytes => 1, budget => 1}, #{depth => 1000, budget => 100000},
     %% The level-by-level capture (terms never sent whole), which big terms take.
     #{whole => false}, #{depth => 2, whole => false}, #{items => 3, whole => false},
     #{binary_bytes => 4, whole => false}, #{budget => 10, whole => false}].

same_bytes_test_() ->
    [?_assertEqual({T, L, reference(T, L)}, {T, L, esc_trace_enc:term(T, esc_trace_enc:limits(L))})
     || L <- limits(), T <- corpus()].

random_terms_test() ->
    rand:seed(exsss, {1, 2, 3}),
    [begin
         T = gen(4),
         L = lists:nth(rand:uniform(length(limits())), limits()),
         ?assertEqual({T, reference(T, L)}, {T, esc_trace_enc:term(T, esc_trace_enc:limits(L))})
     end || _ <- lists:seq(1, 500)].

term_io_size_is_exact_test() ->
    [begin
         {Io, Sz} = esc_trace_enc:term_io(T, esc_trace_enc:limits(#{})),
         ?assertEqual(iolist_size(Io), Sz)
     end || T <- corpus()].

%% Pid renderings are cached per process (the same processes recur): cached or not, the bytes are
%% the reference's, and the cache stays bounded however many pids pass through one encoder.
pid_cache_is_exact_and_bounded_test() ->
    Pids = [spawn(fun() -> ok end) || _ <- lists:seq(1, 5000)] ++ [self()],
    L = esc_trace_enc:limits(#{}),
    Self = self(),
    spawn(fun() ->
                  %% Bare pids: a pid inside a small tuple or list travels in the tuple's etf.
                  Enc = fun() -> [esc_trace_enc:term(P, L) || P <- Pids] end,
                  First = Enc(),
                  Again = Enc(),
                  Self ! {enc, First, Again, length([K || {{esc_trace_enc, _} = K, _} <- get()])}
          end),
    receive
        {enc, First, Again, Cached} ->
            ?assertEqual(First, Again),
            ?assertEqual([reference(P, #{}) || P <- Pids], First),
            ?assert(Cached > 0 andalso Cached =< 4096)   % used, and bounded
    after 20000 -> ?assert(false)
    end.

%% A list, tuple or map that fits the budget travels whole and exact (local funs, pids and refs
%% included), so the Debug Console can rebind it; a huge one is walked and cut, its parts whole.
small_compounds_travel_whole_test() ->
    F = fun(X) -> X + 1 end,
    T = {ok, #{fun_ => F, pid => self(), ref => make_ref(), list => lists:seq(1, 200)}, "héllo"},
    #{value := {etf, Bin}} = esc_term:capture(T),
    ?assertEqual(T, binary_to_term(Bin)),
    ?assertEqual({ok, T}, esc_term:to_term(esc_term:capture(T))),
    ?assertMatch(<<122, _/binary>>, esc_trace_enc:term(T, esc_trace_enc:limits(#{}))).

big_terms_are_walked_and_bounded_test() ->
    Big = #{items => lists:seq(1, 1000000), name => <<"big">>, small => {1, 2}},
    Bin = esc_trace_enc:term(Big, esc_trace_enc:limits(#{})),
    ?assert(byte_size(Bin) < 20000),
    #{value := {map, #{entries := Es}}} = esc_term:capture(Big),
    Values = maps:from_list([{binary_to_term(K), V} || #{key := #{value := {atom, K0}}, value := V} <- Es,
                                                      K <- [term_to_binary(binary_to_atom(K0, utf8))]]),
    ?assertMatch(#{value := {list, #{omitted := 999968}}}, maps:get(items, Values)),
    ?assertMatch(#{value := {etf, _}}, maps:get(small, Values)),
    ?assertMatch({error, _}, esc_term:to_term(esc_term:capture(Big))).

%% A fun whose module is not loaded (fun_info name is [] then) is captured, not a crash of the encoder.
fun_of_unloaded_module_test() ->
    F = esc_test_src:unloaded_fun(esc_enc_gone),
    L = esc_trace_enc:limits(#{whole => false}),
    ?assertEqual(reference(F, #{whole => false}), esc_trace_enc:term(F, L)),
    ?assertMatch(#{value := {'fun', #{module := <<"esc_enc_gone">>, name := <<>>}}}, esc_term:capture(F, #{whole => false})).

reference(T, L) ->
    iolist_to_binary(esc_proto:encode_msg(esc_term:capture(T, L), 'Term')).

gen(0) -> leaf();
gen(D) ->
    case rand:uniform(6) of
        1 -> [gen(D - 1) || _ <- lists:seq(1, rand:uniform(5) - 1)];
        2 -> list_to_tuple([gen(D - 1) || _ <- lists:seq(1, rand:uniform(5) - 1)]);
        3 -> maps:from_list([{leaf(), gen(D - 1)} || _ <- lists:seq(1, rand:uniform(5) - 1)]);
        _ -> leaf()
    end.

leaf() ->
    case rand:uniform(7) of
        1 -> rand:uniform(1 bsl 60) - (1 bsl 59);
        2 -> list_to_atom([$a + rand:uniform(20)]);
        3 -> rand:uniform() * 1000;
        4 -> crypto_free_bytes(rand:uniform(10));
        5 -> self();
        6 -> rand:uniform(100);
        7 -> <<(rand:uniform(255)):5>>
    end.

crypto_free_bytes(N) -> list_to_binary([rand:uniform(255) || _ <- lists:seq(1, N)]).
