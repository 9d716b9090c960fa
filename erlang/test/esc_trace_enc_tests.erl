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
     #{depth => 1, items => 1, binary_bytes => 1, budget => 1}, #{depth => 1000, budget => 100000}].

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
                  Enc = fun() -> [esc_trace_enc:term({P, [P]}, L) || P <- Pids] end,
                  First = Enc(),
                  Again = Enc(),
                  Self ! {enc, First, Again, length([K || {{esc_trace_enc, _} = K, _} <- get()])}
          end),
    receive
        {enc, First, Again, Cached} ->
            ?assertEqual(First, Again),
            ?assertEqual([reference({P, [P]}, #{}) || P <- Pids], First),
            ?assert(Cached > 0 andalso Cached =< 4096)   % used, and bounded
    after 20000 -> ?assert(false)
    end.

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
