%% Test peer for the cross-language codec and protocol tests (test/integration/*.test.ts).
%% Runs in a real BEAM: `erl -noshell -pa erlang/ebin -pa erlang/test-ebin -s esc_codec_peer main`.
%%
%% Line protocol on stdin/stdout, one request per line, one answer line per request, in order
%% (`gen` answers with several lines, then `end`). Every payload is base64 so lines stay ASCII.
%% Each answer line is prefixed with "@@ " (not shown below); other stdout lines are not answers.
%%   gen Seed Count [whole]  -> Count x "term I B64(Term message)", then "end". Generates random terms
%%                              (kept by index), captures each with esc_term (limits too large to cut;
%%                              level by level, or with `whole` as Term.etf) and encodes it with esc_proto.
%%   check I B64(Source)     -> "ok I" | "mismatch I B64(original ~w) B64(parsed ~w)" | "error I B64(why)".
%%                              Parses and evaluates Erlang source, compares with term I (=:= and
%%                              float bit patterns, so -0.0 counts).
%%   rt Msg B64(Bytes)       -> "ok B64(Bytes2)" | "err B64(why)": esc_proto decode_msg then encode_msg.
%%   dec Msg B64(Bytes)      -> "ok" | "err B64(why)" | "crash B64(why)": decode only; `err` = the
%%                              documented error({esc_proto, _}), `crash` = any other exception.
%%   cap D I B Budget B64(Source) -> "ok B64(Term message)" | "err B64(why)": evaluates the source and
%%                              captures the value with limits depth D, items I, binary_bytes B, budget.
%%   eval B64(Source)        -> "ok B64(~p of result)" | "err B64(why)": evaluates in this process.
%%   halt                    -> stops the node.
-module(esc_codec_peer).

-export([main/0, gen_terms/2, same/2]).

-define(BIG_LIMITS, #{depth => 100000, items => 100000000, binary_bytes => 100000000, budget => 100000000, whole => false}).

main() ->
    ok = io:setopts(standard_io, [binary]),
    process_flag(trap_exit, false),
    loop().

loop() ->
    case io:get_line(standard_io, '') of
        eof -> halt(0);
        {error, _} -> halt(1);
        Line ->
            Words = binary:split(string:trim(Line, trailing, "\r\n"), <<" ">>, [global]),
            try handle(Words) of
                stop -> halt(0);
                _ -> loop()
            catch
                C:R:S -> reply(["fatal ", b64(io_lib:format("~p:~p ~p", [C, R, S]))]), loop()
            end
    end.

%% `gen`: generated terms (kept by index for `check`), each captured with limits too large to cut.
gen_captured(Seed, Count, Limits) ->
    Terms = gen_terms(binary_to_integer(Seed), binary_to_integer(Count)),
    put(terms, list_to_tuple(Terms)),
    lists:foldl(fun(T, I) ->
                        Enc = esc_proto:encode_msg(esc_term:capture(T, Limits), 'Term'),
                        reply(["term ", integer_to_binary(I), " ", b64bin(Enc)]),
                        I + 1
                end, 0, Terms),
    reply("end").

%% Answers start with "@@ " so that anything else the node prints on stdout (logger reports, for
%% instance) is told apart from them.
reply(IoData) ->
    io:put_chars(standard_io, ["@@ ", IoData, $\n]).

b64(IoData) -> base64:encode(unicode:characters_to_binary(IoData)).
b64bin(Bin) -> base64:encode(iolist_to_binary(Bin)).
unb64(B) -> base64:decode(B).

handle([<<"gen">>, Seed, Count]) ->
    gen_captured(Seed, Count, ?BIG_LIMITS);
handle([<<"gen">>, Seed, Count, <<"whole">>]) ->
    gen_captured(Seed, Count, maps:remove(whole, ?BIG_LIMITS));
handle([<<"check">>, I, Src]) ->
    Idx = binary_to_integer(I),
    Orig = element(Idx + 1, get(terms)),
    case eval_source(unb64(Src)) of
        {ok, Value} ->
            case same(Orig, Value) of
                true -> reply(["ok ", I]);
                false -> reply(["mismatch ", I, " ", b64(io_lib:format("~w", [Orig])), " ",
                                b64(io_lib:format("~w", [Value]))])
            end;
        {error, Why} ->
            reply(["error ", I, " ", b64(Why)])
    end;
handle([<<"rt">>, Msg, Data]) ->
    Name = binary_to_existing_atom(Msg, utf8),
    try esc_proto:encode_msg(esc_proto:decode_msg(unb64(Data), Name), Name) of
        Enc -> reply(["ok ", b64bin(Enc)])
    catch C:R -> reply(["err ", b64(io_lib:format("~p:~p", [C, R]))])
    end;
handle([<<"dec">>, Msg, Data]) ->
    Name = binary_to_existing_atom(Msg, utf8),
    try esc_proto:decode_msg(unb64(Data), Name) of
        _ -> reply("ok")
    catch
        error:{esc_proto, _} = R -> reply(["err ", b64(io_lib:format("~p", [R]))]);
        C:R -> reply(["crash ", b64(io_lib:format("~p:~p", [C, R]))])
    end;
handle([<<"cap">>, D, I, B, Budget, Src]) ->
    Limits = #{depth => binary_to_integer(D), items => binary_to_integer(I),
               binary_bytes => binary_to_integer(B), budget => binary_to_integer(Budget), whole => false},
    case eval_source(unb64(Src)) of
        {ok, Value} ->
            try esc_proto:encode_msg(esc_term:capture(Value, Limits), 'Term') of
                Enc -> reply(["ok ", b64bin(Enc)])
            catch C:R:S -> reply(["err ", b64(io_lib:format("~p:~p ~p", [C, R, S]))])
            end;
        {error, Why} -> reply(["err ", b64(Why)])
    end;
handle([<<"eval">>, Src]) ->
    case eval_source(unb64(Src)) of
        {ok, Value} -> reply(["ok ", b64(io_lib:format("~0p", [Value]))]);
        {error, Why} -> reply(["err ", b64(Why)])
    end;
handle([<<"halt">>]) ->
    stop;
handle(Other) ->
    reply(["err ", b64(io_lib:format("unknown request ~p", [Other]))]).

%% Evaluates UTF-8 Erlang source (one or more expressions, with or without the final dot).
eval_source(Bin) ->
    try
        Chars = unicode:characters_to_list(Bin),
        Text = case string:trim(Chars, trailing) of
                   "" -> "ok.";
                   T -> case lists:last(T) of $. -> T; _ -> T ++ "." end
               end,
        {ok, Tokens, _} = erl_scan:string(Text),
        {ok, Exprs} = erl_parse:parse_exprs(Tokens),
        {value, Value, _} = erl_eval:exprs(Exprs, erl_eval:new_bindings()),
        {ok, Value}
    catch C:R:S -> {error, io_lib:format("~p:~p ~p", [C, R, S])}
    end.

%% =:= that also tells -0.0 from 0.0 (OTP 25's =:= does not).
same(A, B) when is_float(A), is_float(B) -> <<A:64/float>> =:= <<B:64/float>>;
same([HA | TA], [HB | TB]) -> same(HA, HB) andalso same(TA, TB);
same(A, B) when is_tuple(A), is_tuple(B), tuple_size(A) =:= tuple_size(B) ->
    same(tuple_to_list(A), tuple_to_list(B));
same(A, B) when is_map(A), is_map(B), map_size(A) =:= map_size(B) ->
    A =:= B andalso lists:all(fun({K, V}) -> same(V, maps:get(K, B)) end, maps:to_list(A));
same(A, B) -> A =:= B.

%% ---- random terms ----

gen_terms(Seed, Count) ->
    _ = rand:seed(exsss, {Seed, Seed * 7 + 1, Seed * 13 + 2}),
    Env = env(),
    Fixed = fixed_terms(Env),
    Fixed ++ [gen(rand:uniform(6), Env) || _ <- lists:seq(1, max(0, Count - length(Fixed)))].

%% Things that only exist at run time: pids, ports, refs of several kinds.
env() ->
    Dead = spawn(fun() -> ok end),
    Tid = ets:new(esc_codec_peer_tab, []),
    #{pids => [self(), Dead, whereis(init), list_to_pid("<0.0.0>"), list_to_pid("<0.32767.8191>")],
      ports => erlang:ports(),
      refs => [make_ref(), make_ref(), Tid, alias(), erlang:monitor(process, Dead)]}.

%% Boundary cases every run includes.
fixed_terms(Env) ->
    P53 = 1 bsl 53,
    Ints = lists:append([[N, -N] || N <- [0, 1, P53 - 1, P53, P53 + 1, P53 + 2, 1 bsl 63, (1 bsl 63) - 1,
                                          (1 bsl 64) - 1, 1 bsl 64, (1 bsl 64) + 1, 1 bsl 200,
                                          (1 bsl 1000) + 12345, 255, 256, 65535, 65536]]),
    <<NegZero:64/float>> = <<1:1, 0:63>>,
    Floats = [0.0, NegZero, 1.0, -1.0, 0.1, 1.0e21, 1.0e-7, 123456789.125, 5.0e-324, -5.0e-324,
              2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
              9007199254740993.0, 1.0e16, 0.30000000000000004, 3.141592653589793],
    Atoms = ['', ok, 'hello world', 'Elixir.Bank.Account', 'it\'s', 'back\\slash', 'nl\nx', 'tab\t',
             'true', false, nil, 'end', 'fun', 'ñandú', 'Ωmega', 'µ', '日本語', '😀', 'a😀b',
             list_to_atom(lists:duplicate(255, $x)), list_to_atom(lists:duplicate(255, 16#1F600)),
             '\x{7f}', '\x{ff}'],
    Bins = [<<>>, <<0>>, <<255>>, <<192, 128>>, <<237, 160, 128>>, <<"plain ascii">>,
            <<"héllo"/utf8>>, <<0, 1, 2, 253, 254, 255>>, binary:copy(<<1, 2, 3, 250>>, 5000)],
    Bits = [<<1:1>>, <<0:7>>, <<255, 3:2>>, <<1, 2, 3, 4:3>>, <<16#ABCD:15>>],
    Lists = [[], [[]], [1 | 2], [a, b | c], [1 | <<2>>], [[] | []], [[1] | {x}], [1, 2, 3 | #{}],
             "a string", [$a | $b], lists:seq(1, 300)],
    Tuples = [{}, {{}}, {a, {b, {c, {d}}}}, list_to_tuple(lists:seq(1, 100))],
    Maps = [#{}, #{1 => a, <<"k">> => b, {t} => c, [l] => d, 1.5 => e, #{k => v} => f, -(1 bsl 70) => g},
            #{a => #{b => #{c => #{}}}}, maps:from_list([{I, I * I} || I <- lists:seq(1, 40)]),
            maps:from_list([{{k, I}, [I]} || I <- lists:seq(1, 33)])],
    Funs = [fun lists:map/2, fun erlang:'+'/2, erlang:make_fun('Elixir.Foo', 'bar?', 1),
            erlang:make_fun('ñ', '日本', 0), erlang:make_fun(m, f, 255)],
    Deep = [nest(list, 99), nest(tuple, 99), nest(map, 99), nest(mixed, 99)], % the agent captures at most 100 levels
    Ints ++ Floats ++ Atoms ++ Bins ++ Bits ++ Lists ++ Tuples ++ Maps ++ Funs ++ Deep ++
        maps:get(pids, Env) ++ maps:get(ports, Env) ++ maps:get(refs, Env).

nest(_, 0) -> leaf;
nest(list, N) -> [nest(list, N - 1)];
nest(tuple, N) -> {N, nest(tuple, N - 1)};
nest(map, N) -> #{N => nest(map, N - 1)};
nest(mixed, N) ->
    case N rem 3 of
        0 -> [N | nest(mixed, N - 1)];
        1 -> {nest(mixed, N - 1)};
        2 -> #{k => nest(mixed, N - 1)}
    end.

gen(Depth, Env) ->
    Kind = case Depth =< 0 of
               true -> rand:uniform(9);
               false -> rand:uniform(15)
           end,
    gen(Kind, Depth, Env).

gen(1, _, _) -> gen_atom();
gen(2, _, _) -> gen_int();
gen(3, _, _) -> gen_float();
gen(4, _, _) -> gen_binary();
gen(5, _, _) -> gen_bitstring();
gen(6, _, Env) -> pick(maps:get(pids, Env));
gen(7, _, Env) -> pick(maps:get(ports, Env));
gen(8, _, Env) -> pick(maps:get(refs, Env));
gen(9, _, _) -> gen_fun();
gen(K, D, Env) when K =< 11 -> gen_list(D, Env);
gen(12, D, Env) -> list_to_tuple(items(D, Env, 6));
gen(13, D, Env) -> maps:from_list([{gen(D - 1, Env), gen(D - 1, Env)} || _ <- lists:seq(1, rand:uniform(7) - 1)]);
gen(14, D, Env) -> maps:from_list([{gen_atom(), gen(D - 1, Env)} || _ <- lists:seq(1, rand:uniform(5) - 1)]);
gen(15, D, Env) -> [gen(D - 1, Env)]. % narrow and deep

items(D, Env, Max) -> [gen(D - 1, Env) || _ <- lists:seq(1, rand:uniform(Max + 1) - 1)].

gen_list(D, Env) ->
    Items = items(D, Env, 6),
    case rand:uniform(4) of
        1 when Items =/= [] ->
            Tail = case gen(D - 1, Env) of
                       L when is_list(L) -> {L};
                       T -> T
                   end,
            lists:foldr(fun(X, Acc) -> [X | Acc] end, Tail, Items);
        _ -> Items
    end.

pick(L) -> lists:nth(rand:uniform(length(L)), L).

gen_atom() ->
    Alphabet = "abcXYZ_@09 '\\\"\n" ++ [16#e9, 16#f1, 16#3a9, 16#65e5, 16#1F600, 16#7f, 16#a0],
    Len = rand:uniform(12) - 1,
    list_to_atom([pick(Alphabet) || _ <- lists:seq(1, Len)]).

gen_int() ->
    Sign = pick([1, -1]),
    case rand:uniform(6) of
        1 -> Sign * (rand:uniform(1000) - 1);
        2 -> Sign * rand:uniform(1 bsl 53);
        3 -> Sign * ((1 bsl 53) + rand:uniform(4) - 2);
        4 -> Sign * rand:uniform(1 bsl 64);
        5 -> Sign * ((1 bsl 64) + rand:uniform(1 bsl 64));
        6 -> Sign * rand:uniform(1 bsl (64 + rand:uniform(400)))
    end.

gen_float() ->
    case rand:uniform(4) of
        1 -> rand:uniform() * pick([1, -1, 1.0e10, 1.0e-10]);
        2 -> float(rand:uniform(1000000)) * pick([1, -1]);
        _ ->
            %% Any finite double from random bits.
            <<F:64/float>> = valid_double(),
            F
    end.

valid_double() ->
    Bits = <<(rand:uniform(1 bsl 64) - 1):64>>,
    case Bits of
        <<_:1, 16#7FF:11, _:52>> -> valid_double();
        _ -> Bits
    end.

gen_binary() ->
    case rand:uniform(3) of
        1 -> <<>>;
        2 -> rand:bytes(rand:uniform(40));
        3 -> unicode:characters_to_binary([rand:uniform(16#D7FF) || _ <- lists:seq(1, rand:uniform(10))])
    end.

gen_bitstring() ->
    Whole = rand:bytes(rand:uniform(5) - 1),
    N = rand:uniform(7),
    <<Whole/binary, (rand:uniform(1 bsl N) - 1):N>>.

gen_fun() ->
    pick([fun lists:reverse/1, fun erlang:element/2, fun maps:get/3,
          erlang:make_fun(gen_atom(), gen_atom(), rand:uniform(256) - 1)]).
