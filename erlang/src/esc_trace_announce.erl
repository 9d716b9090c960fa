%% Encoder: names each traced process with a PROCESS event the first time the encoder sees it, and
%% again when a later event tells more (esc_trace_ident gathers what is known of its identity).
-module(esc_trace_announce).

-export([announce/4, announce/5, forget/1, describe/1, test_probe/5]).

-include("esc_proto.hrl").

%% A PROCESS event names a process the first time this encoder sees it (and, per batch, the pid
%% table makes every later event refer to it by index). Its identity comes from the event that
%% announces it (Hint: {call, {M, F, Args}}, {spawned, MFA}, {'receive', Msg}, {register, Name}), an
%% ExUnit probe seen before, and process_info while the process is still alive: a process that is
%% already gone is named from what travelled with its events (esc_trace_ident).
-spec announce(pid(), {integer(), integer()}, map(), esc_trace_batch:batch()) -> esc_trace_batch:batch().
announce(Pid, Ts, Ctx, B) ->
    announce(Pid, Ts, none, Ctx, B).

-spec announce(pid(), {integer(), integer()}, term(), map(), esc_trace_batch:batch()) -> esc_trace_batch:batch().
announce(Pid, Ts, Hint, Ctx, B) ->
    case get({esc_seen, Pid}) of
        undefined ->
            Id0 = esc_trace_ident:merge(esc_trace_ident:empty(), pending_test(Pid)),
            Id = identify(Pid, Hint, Id0, Ctx),
            remember(Pid, open_question(Id)),
            process_event(Pid, Ts, Id, Ctx, B);
        _ when Hint =:= none -> B;
        Open -> relearn(Pid, Ts, Open, Hint, Ctx, B)
    end.

%% Strongest source first: the announcing spawn, what the live process says, then the first call.
identify(Pid, Hint, Id0, Ctx) ->
    Id1 = case Hint of
              {spawned, MFA} -> esc_trace_ident:merge(Id0, esc_trace_ident:from_spawn(MFA));
              {register, Name} -> esc_trace_ident:merge(Id0, esc_trace_ident:from_register(Name));
              _ -> Id0
          end,
    Id2 = esc_trace_ident:merge(Id1, esc_trace_ident:from_info(Pid)),
    Id3 = case Hint of
              {call, Call} -> esc_trace_ident:merge(Id2, esc_trace_ident:from_call(Call, cbs(Ctx)));
              _ -> Id2
          end,
    case Id3 of
        #{cb := Cb, via := <<>>} when Cb =/= undefined -> Id3#{via := via_name(Pid)};
        _ -> Id3
    end.

cbs(Ctx) -> maps:get(cb_mods, Ctx, #{}).

%% What later events may still tell about an announced process (kept instead of the whole
%% identity, so that many processes cost a word each): unknown (nothing yet: its next recorded
%% call names it), no_cb (a callback of a recorded callback module would name it), task (a Task
%% whose fun arrives in its first message), known.
open_question(#{kind := <<"task">>, entry := <<>>}) -> task;
open_question(#{kind := K}) when K =/= <<>> -> known;
open_question(#{cb := undefined, entry := <<>>, initial := <<>>, reg := <<>>, via := <<>>}) -> unknown;
open_question(#{cb := undefined}) -> no_cb;
open_question(_) -> known.

%% A later event that names an announced process: a PROCESS event with the new fields only (the
%% debugger keeps the fields it has and renames the thread).
relearn(Pid, Ts, Open, Hint, Ctx, B) ->
    New = case {Open, Hint} of
              {_, {register, Name}} -> esc_trace_ident:from_register(Name);
              {unknown, {call, Call}} -> esc_trace_ident:from_call(Call, cbs(Ctx));
              {no_cb, {call, {M, _, _} = Call}} when is_map_key(M, map_get(cb_mods, Ctx)) ->
                  case esc_trace_ident:from_call(Call, cbs(Ctx)) of
                      #{cb := _} = C -> C;
                      _ -> #{}
                  end;
              {task, {'receive', Msg}} -> esc_trace_ident:from_received(Msg);
              {_, {test, Args}} -> esc_trace_ident:from_test_args(Args);
              %% The parent sends the trace message of a spawn, the child those of its own events: the
              %% child's first events can reach the tracer before its `spawned`.
              {_, {spawned, MFA}} -> esc_trace_ident:from_spawn(MFA);
              _ -> #{}
          end,
    case maps:filter(fun(_, V) -> V =/= <<>> andalso V =/= undefined end, New) of
        Empty when map_size(Empty) =:= 0 -> B;
        Learned ->
            Id = maps:merge(esc_trace_ident:empty(), Learned),
            put({esc_seen, Pid}, reopen(Open, Learned)),
            process_event(Pid, Ts, Id, Ctx, B)
    end.

%% The open question after learning more.
reopen(_, #{cb := _}) -> known;
reopen(unknown, _) -> no_cb;
reopen(_, #{kind := <<"task">>, entry := _}) -> known;
reopen(_, #{kind := <<"task">>}) -> task;
reopen(task, #{entry := _}) -> known;
reopen(Open, _) -> Open.

process_event(Pid, Ts, #{cb := CbMod} = Id, Ctx, B) ->
    Inner = <<(esc_trace_ident:encode(Id))/binary,
              (esc_trace_enc:field_str(?ESC_F_ProcessEvent_behaviour, behaviour(CbMod, Ctx)))/binary>>,
    esc_trace_batch:add(Pid, Ts, ?ESC_E_EventKind_PROCESS, none,
                        esc_trace_enc:field_io(?ESC_F_EventBody_process, Inner, byte_size(Inner)), 0, 0, 0, B).

%% The behaviour of a recorded callback module, so the debugger can name a state "GenServer" or
%% "gen_statem" state.
behaviour(CbMod, #{cb_mods := Cbs}) ->
    case maps:get(CbMod, Cbs, none) of
        gen_server -> <<"gen_server">>;
        {gen_statem, _} -> <<"gen_statem">>;
        _ -> <<>>
    end;
behaviour(_Cb, _Ctx) -> <<>>.

%% Announced pids are remembered in the process dictionary; exits forget them, and when many
%% accumulate (processes without exit events) the dead ones are forgotten in one sweep.
-define(MAX_SEEN, 100000).

remember(Pid, Open) ->
    put({esc_seen, Pid}, Open),
    case get(esc_seen_n) of
        N when is_integer(N), N >= ?MAX_SEEN ->
            Dead = [P || {{esc_seen, P}, _} <- get(), node(P) =/= node() orelse not is_process_alive(P)],
            [begin erase({esc_seen, P}), esc_trace_state:forget(P) end || P <- Dead],
            put(esc_seen_n, N - length(Dead));
        N when is_integer(N) -> put(esc_seen_n, N + 1);
        undefined -> put(esc_seen_n, 1)
    end.

-spec forget(pid()) -> ok.
forget(Pid) ->
    case erase({esc_seen, Pid}) of
        undefined -> ok;
        _ -> put(esc_seen_n, max(0, get(esc_seen_n) - 1)), ok
    end.

%% {RegisteredName, InitialCall, CallbackModule | undefined} of a live process (what it says itself).
-spec describe(pid()) -> {binary(), binary(), module() | undefined}.
describe(Pid) ->
    Id = esc_trace_ident:merge(esc_trace_ident:empty(), esc_trace_ident:from_info(Pid)),
    #{reg := Reg, initial := Initial, cb := Cb} = Id,
    {Reg, Initial, Cb}.

%% The key a GenServer is registered under in an Elixir Registry (`{:via, Registry, {R, Key}}`), printed
%% as Elixir does, so that two processes of the same module can be told apart by name. Registries keep
%% a named ETS table under their own name; which tables are registries is found out at most every
%% 5 s per encoder (asking a table that is not one fails), so a node that starts many processes pays
%% one lookup per registry per new GenServer, in the encoder, never in the traced process.
-define(REGISTRY_REFRESH_MS, 5000).

via_name(Pid) ->
    case erlang:function_exported('Elixir.Registry', keys, 2) of
        false -> <<>>;
        true ->
            Keys = lists:append([K || T <- registries(),
                                      K <- [try 'Elixir.Registry':keys(T, Pid) catch _:_ -> [] end],
                                      is_list(K)]),
            case Keys of
                [Key | _] -> try 'Elixir.Kernel':inspect(Key) catch _:_ -> <<>> end;
                [] -> <<>>
            end
    end.

registries() ->
    Now = erlang:monotonic_time(millisecond),
    case get(esc_registries) of
        {At, Tables} when Now - At < ?REGISTRY_REFRESH_MS -> Tables;
        _ ->
            Tables = [T || T <- ets:all(), is_atom(T),
                           is_list(try 'Elixir.Registry':keys(T, self()) catch _:_ -> error end)],
            put(esc_registries, {Now, Tables}),
            Tables
    end.

%% A call of the ExUnit probe (esc_trace_ident): no event; the test names the process when it runs
%% project code (announce), or renames it if it already did. Pending tests of processes that never
%% run project code are swept when many accumulate.
-define(MAX_PENDING_TESTS, 20000).

-spec test_probe(pid(), list(), {integer(), integer()}, map(), esc_trace_batch:batch()) -> esc_trace_batch:batch().
test_probe(Pid, Args, Ts, Ctx, B) ->
    case get({esc_seen, Pid}) of
        undefined ->
            case esc_trace_ident:from_test_args(Args) of
                Test when map_size(Test) > 0 ->
                    put({esc_test, Pid}, Test),
                    N = case get(esc_test_n) of undefined -> 1; N0 -> N0 + 1 end,
                    put(esc_test_n, N),
                    N >= ?MAX_PENDING_TESTS andalso sweep_tests(),
                    B;
                _ -> B
            end;
        Open -> relearn(Pid, Ts, Open, {test, Args}, Ctx, B)
    end.

pending_test(Pid) ->
    case erase({esc_test, Pid}) of
        undefined -> #{};
        Test -> put(esc_test_n, max(0, get(esc_test_n) - 1)), Test
    end.

sweep_tests() ->
    Dead = [P || {{esc_test, P}, _} <- get(), not is_process_alive(P)],
    [erase({esc_test, P}) || P <- Dead],
    put(esc_test_n, length([x || {{esc_test, _}, _} <- get()])).

