%% Breakpoint conditions that raise: which match-spec guards can (esc_bp_ms routes those to the agent
%% when they do), counted per breakpoint by the encoders, told to the adapter by the engine's
%% controller as one notice per breakpoint, again only when the count has grown.
%%
%% Why: a condition that raises (`hd(list) == 1` on an empty list) counts as false, so the
%% breakpoint silently never stops. Saying so on every hit would flood the Debug Console, so the
%% count lives in one ETS row per breakpoint (esc_bp_set's table, one update_counter per raise) and
%% report/2 runs on the controller's tick: a breakpoint is told about once its count has settled
%% (unchanged for a tick, so a burst of raises is one report with its whole count) or has been
%% growing for ?SETTLE_MS, then again at most every ?REPEAT_MS while its count keeps growing.
%%
%% Rows (in esc_bp_set): {{raised, Id}, Count, What} and
%% {{raised_told, Id}, Told, ToldAtMs | none, CountSeenLastTime, GrowingSinceMs}.
%% Notice code 2201 (WARNING); 2200 is esc_bp_set's line-probe notice.
-module(esc_bp_raised).

-export([may_raise/1, record/2, report/2, forget/1, message/3]).

-define(T, esc_bp_set).
-define(NOTICE_CONDITION_RAISED, 2201).
-define(REPEAT_MS, 5000).
-define(SETTLE_MS, 1000).
-define(COMPARISONS, ['==', '/=', '=:=', '=/=', '<', '>', '=<', '>=']).
-define(TYPE_TESTS, [is_atom, is_binary, is_bitstring, is_float, is_function, is_integer, is_list,
                     is_map, is_number, is_pid, is_port, is_reference, is_tuple]).

%% Whether a condition's match-spec guard can raise (which fails its clause without a word): map_get,
%% hd, element, arithmetic... Comparisons and type tests of variables and constants, and boolean
%% operators over those, cannot; they need no detection clause.
-spec may_raise(term()) -> boolean().
may_raise(Guard) -> not safe(Guard).

safe(E) when is_atom(E); is_number(E) -> true;
safe({const, _}) -> true;
safe({self}) -> true;
safe({node}) -> true;
safe({T}) when is_tuple(T) -> lists:all(fun safe/1, tuple_to_list(T));
safe({Op, A, B}) when Op =:= 'andalso'; Op =:= 'orelse'; Op =:= 'and'; Op =:= 'or'; Op =:= 'xor' ->
    boolean(A) andalso boolean(B);
safe({'not', A}) -> boolean(A);
safe({Op, A, B}) -> lists:member(Op, ?COMPARISONS) andalso safe(A) andalso safe(B);
safe({Op, A}) -> lists:member(Op, ?TYPE_TESTS) andalso safe(A);
safe(_) -> false.

%% Safe and true or false (a boolean operator over anything else raises).
boolean({const, B}) -> is_boolean(B);
boolean(B) when is_boolean(B) -> true;
boolean({Op, _, _} = E) when Op =:= 'andalso'; Op =:= 'orelse'; Op =:= 'and'; Op =:= 'or'; Op =:= 'xor' -> safe(E);
boolean({'not', _} = E) -> safe(E);
boolean({Op, _, _} = E) -> lists:member(Op, ?COMPARISONS) andalso safe(E);
boolean({Op, _} = E) -> lists:member(Op, ?TYPE_TESTS) andalso safe(E);
boolean(_) -> false.

%% Counts one raise of breakpoint Id's condition; What (the exception's name) is kept from the first.
-spec record(pos_integer(), binary()) -> ok.
record(Id, What) ->
    _ = (catch ets:update_counter(?T, {raised, Id}, {2, 1}, {{raised, Id}, 0, What})),
    ok.

%% Tells the adapter (through Send(NoticeMap)) about every breakpoint whose count grew since it was
%% last told and is due (see the module doc). Where(Id) names the breakpoint ("lib/bank/account.ex:31"),
%% or is gone when the breakpoint no longer exists (its rows are dropped).
-spec report(fun((pos_integer()) -> {ok, iodata()} | gone), fun((map()) -> term())) -> ok.
report(Where, Send) ->
    Now = erlang:monotonic_time(millisecond),
    lists:foreach(
      fun({{raised, Id}, Count, What}) ->
              {Told, At, Seen, Since0} = case ets:lookup(?T, {raised_told, Id}) of
                                             [{_, T, A, Se, Si}] -> {T, A, Se, Si};
                                             [] -> {0, none, 0, Now}
                                         end,
              Since = case Seen =< Told of true -> Now; false -> Since0 end,   % growth starts now
              Due = Count > Told andalso (At =:= none orelse Now - At >= ?REPEAT_MS)
                  andalso (Count =:= Seen orelse Now - Since >= ?SETTLE_MS),
              case Where(Id) of
                  gone -> forget(Id);
                  {ok, Name} when Due ->
                      ets:insert(?T, {{raised_told, Id}, Count, Now, Count, Now}),
                      Send(#{msg => {notice, #{severity => 'WARNING', code => ?NOTICE_CONDITION_RAISED,
                                               message => message(Name, What, Count)}}});
                  {ok, _} ->
                      ets:insert(?T, {{raised_told, Id}, Told, At, Count, Since})
              end
      end, ets:match_object(?T, {{raised, '_'}, '_', '_'})),
    ok.

%% Forgets breakpoint Id's count (removed, or its condition changed).
-spec forget(pos_integer()) -> ok.
forget(Id) ->
    ets:delete(?T, {raised, Id}),
    ets:delete(?T, {raised_told, Id}),
    ok.

%% "Breakpoint at lib/x.ex:12: condition raised ArgumentError on 12 hits; treated as false"
-spec message(iodata(), binary(), pos_integer()) -> binary().
message(Name, What, Count) ->
    esc_lib:fmt("Breakpoint at ~ts: condition raised ~ts on ~b hit~ts; treated as false",
                [Name, What, Count, case Count of 1 -> ""; _ -> "s" end]).
