%% Benchmark of breakpoint costs when breakpoints do not fire, each against its baseline measured
%% in the same run (interleaved rounds, medians):
%% - a never-matching condition (a match spec on Bank.Account.handle_call/3, the calling process
%%   and the server call-traced) on a hot GenServer.call, vs the same calls untraced;
%% - disabled line probes (the module recompiled with probes, no trace pattern on them) vs the
%%   original module, on the same workloads: GenServer.call, direct handle_call/3 calls, and a
%%   tight arithmetic loop (worst case: a probe per line of a function doing almost nothing).
%% run() returns [{Name, Value, Unit, BaselineName, BaselineValue}]; main/0 prints ROW lines.
-module(esc_probe_bench).

-export([run/0, main/0]).

-define(ACC, 'Elixir.Bank.Account').
-define(ROUNDS, 7).
-define(CALLS, 20000).
-define(LOOP, 200000).

-define(LOOP_SRC, "-module(esc_bench_loop).
-export([run/1]).
run(N) -> run(N, 0).
run(0, Acc) -> Acc;
run(N, Acc) ->
    A = N band 7,
    B = A * 3,
    run(N - 1, Acc + B).
").

-spec main() -> no_return().
main() ->
    Rows = run(),
    [io:format("ROW ~s\t~.4f\t~s\t~s\t~.4f\tratio ~.2f~n", [N, V, U, BN, BV, V / BV]) || {N, V, U, BN, BV} <- Rows],
    halt(0).

-spec run() -> [{string(), float(), string(), string(), float()}].
run() ->
    esc_bp_fixture:setup(),
    {module, _} = code:ensure_loaded(?ACC),
    loop_module(),
    [condition_row(), probe_call_row(), probe_direct_row(), probe_loop_row()].

%% ------------------------------------------------------------------ never-matching condition

condition_row() ->
    {ok, P} = esc_bp_plan:prepare(#{id => 1, file => esc_bp_fixture:bank_source("account.ex"), line => 31,
                               condition => <<"state.id == :nobody">>}, #{}),
    Ms = esc_bp_ms:match_specs([P], {?ACC, handle_call, 3}, []),
    Srv = esc_bp_fixture:start_account(b, 1 bsl 60),
    Sink = spawn(fun() -> sink(0) end),
    Pairs = [begin
                 Base = time_calls(Srv, ?CALLS),
                 1 = erlang:trace_pattern({?ACC, handle_call, 3}, Ms, [local]),
                 1 = erlang:trace(Srv, true, [call, {tracer, Sink}]),
                 Cond = time_calls(Srv, ?CALLS),
                 erlang:trace(Srv, false, [call]),
                 erlang:trace_pattern({?ACC, handle_call, 3}, false, [local]),
                 {Cond, Base}
             end || _ <- lists:seq(1, ?ROUNDS)],
    exit(Srv, kill),
    Sink ! {count, self()},
    0 = receive {sink_count, C} -> C after 5000 -> timeout end,   % a false condition sends nothing
    exit(Sink, kill),
    {"never-matching condition on handle_call/3 (GenServer.call)", median([C || {C, _} <- Pairs]), "us/call",
     "untraced", median([B || {_, B} <- Pairs])}.

sink(N) ->
    receive
        {count, From} -> From ! {sink_count, N}, sink(N);
        _ -> sink(N + 1)
    end.

time_calls(Srv, N) ->
    T0 = erlang:monotonic_time(),
    calls(Srv, N),
    per(T0, N).

calls(_Srv, 0) -> ok;
calls(Srv, N) -> {ok, _} = gen_server:call(Srv, {withdraw, 1}), calls(Srv, N - 1).

%% ------------------------------------------------------------------ disabled probes

%% Alternates original and instrumented rounds (instrumenting recompiles, so fewer rounds).
probe_rows(Measure) ->
    Pairs = [begin
                 Orig = Measure(),
                 {ok, _} = esc_probe:instrument(?ACC),
                 {ok, _} = esc_probe:instrument(esc_bench_loop),
                 Inst = Measure(),
                 ok = esc_probe:restore_all(),
                 {Inst, Orig}
             end || _ <- lists:seq(1, 3)],
    {median([I || {I, _} <- Pairs]), median([O || {_, O} <- Pairs])}.

probe_call_row() ->
    Srv = esc_bp_fixture:start_account(b, 1 bsl 60),
    {I, O} = probe_rows(fun() -> median([time_calls(Srv, ?CALLS) || _ <- lists:seq(1, 3)]) end),
    exit(Srv, kill),
    {"disabled line probes in handle_call/3 (GenServer.call)", I, "us/call", "original module", O}.

probe_direct_row() ->
    State = #{'__struct__' => ?ACC, id => b, balance => 1 bsl 60, ops => 0},
    From = {self(), make_ref()},
    Run = fun() ->
                  T0 = erlang:monotonic_time(),
                  direct(State, From, ?CALLS),
                  per(T0, ?CALLS)
          end,
    {I, O} = probe_rows(fun() -> median([Run() || _ <- lists:seq(1, 3)]) end),
    {"disabled line probes, direct handle_call/3 calls", I, "us/call", "original module", O}.

direct(_S, _F, 0) -> ok;
direct(S, F, N) ->
    {reply, _, S2} = ?ACC:handle_call({withdraw, 1}, F, S),
    direct(S2, F, N - 1).

probe_loop_row() ->
    Run = fun() ->
                  T0 = erlang:monotonic_time(),
                  _ = esc_bench_loop:run(?LOOP),
                  per(T0, ?LOOP)
          end,
    {I, O} = probe_rows(fun() -> median([Run() || _ <- lists:seq(1, 3)]) end),
    {"disabled line probes, tight 3-line loop (worst case)", I, "us/iteration", "original module", O}.

loop_module() ->
    Dir = esc_bp_fixture:dir(),
    Src = filename:join(Dir, "esc_bench_loop.erl"),
    ok = file:write_file(Src, ?LOOP_SRC),
    {ok, esc_bench_loop} = compile:file(Src, [debug_info, {outdir, Dir}]),
    code:add_pathz(Dir),
    _ = code:purge(esc_bench_loop),
    {module, esc_bench_loop} = code:load_abs(filename:join(Dir, "esc_bench_loop")),
    ok.

%% ------------------------------------------------------------------ helpers

per(T0, N) ->
    erlang:convert_time_unit(erlang:monotonic_time() - T0, native, nanosecond) / 1000 / N.

median(Xs) ->
    lists:nth((length(Xs) + 1) div 2, lists:sort(Xs)).
