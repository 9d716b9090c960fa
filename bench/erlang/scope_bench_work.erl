%% Workload for bench/e2e.bench.ts: a process calling scope_bench_step:step/2 (the only traced module)
%% in a tight loop for a given time; returns how many calls it made (each is a call and a return event).
-module(scope_bench_work).
-export([run/1]).

run(Ms) ->
    Deadline = erlang:monotonic_time(millisecond) + Ms,
    loop(Deadline, 0, 0).

loop(Deadline, N, Acc) ->
    case N band 1023 of
        0 ->
            case erlang:monotonic_time(millisecond) >= Deadline of
                true -> N;
                false -> loop(Deadline, N + 1, scope_bench_step:step(N, Acc))
            end;
        _ -> loop(Deadline, N + 1, scope_bench_step:step(N, Acc))
    end.
