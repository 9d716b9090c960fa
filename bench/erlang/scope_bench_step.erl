%% The traced function of bench/e2e.bench.ts (see scope_bench_work).
-module(scope_bench_step).
-export([step/2]).

step(N, Acc) -> (Acc + N) band 16#FFFF.
