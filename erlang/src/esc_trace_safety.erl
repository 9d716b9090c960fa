%% Rate-limit policy: which functions to sample, suspend or restore. Pure functions; the controller
%% (esc_trace_ctl) measures, calls decide/6 every tick and applies the actions.
%%
%% Degradation ladder of one function: full -> 1 in 4 -> 1 in 16 -> 1 in 64 (sampling by trace
%% control word duty cycle, see esc_trace_plan:ms_sampled/2) -> suspended (pattern removed).
%% While the node-wide rate is over the limit, or the tracer had to shed for a second, the noisiest
%% functions (by estimated true rate) move one step down per tick (two on overload). Once the rate
%% has stayed under a quarter of the limit for half a second, every degraded function comes back:
%% straight to full when its own estimated rate is calm too (the storm is over), else one step; a
%% suspended function is retried at 1 in 64 after `retry_ms`, so a storm that ended is recorded in
%% full again within about two seconds, and one that goes on is caught again within a tick or two.
-module(esc_trace_safety).

-export([decide/6, duty/1, sampled_estimate/2]).

-type degr() :: #{mfa() => 1..3 | {suspended, integer()}}.
-type action() :: {sample, mfa(), 1..3, non_neg_integer()} | {suspend, mfa(), non_neg_integer()}
                | {restore, mfa(), full | 1..3}.
-export_type([degr/0, action/0]).

-define(MAX_PER_TICK, 3).
%% Consecutive ticks of tracer overload (at 250 ms a tick) before the noisiest functions degrade.
-define(SUSTAINED_TICKS, 4).
%% Consecutive calm ticks before degraded functions come back.
-define(CALM_TICKS, 2).

%% Fraction of calls recorded at a sampling level.
-spec duty(full | 1..3) -> float().
duty(full) -> 1.0;
duty(L) -> 1 / (1 bsl (2 * L)).

%% Events the sampling skipped, estimated from what was seen in a window.
-spec sampled_estimate([{mfa(), non_neg_integer()}], degr()) -> non_neg_integer().
sampled_estimate(Counts, Degr) ->
    lists:sum([round(C * (1 / duty(L) - 1)) || {MFA, C} <- Counts, L <- [maps:get(MFA, Degr, full)],
                                              is_integer(L)]).

%% decide(RatePerS, Limit, Counts, Degr, #{overload, calm_ticks, now_ms, retry_ms, tick_ms}) ->
%%     {Degr2, Actions}. Counts are the window's events per function.
-spec decide(non_neg_integer(), pos_integer(), [{mfa(), non_neg_integer()}], degr(), map(), map())
            -> {degr(), [action()]}.
decide(Rate, Limit, Counts, Degr, #{overload := Overload, calm_ticks := Calm, now_ms := Now,
                                    retry_ms := Retry} = Tick, _Opts) ->
    %% A burst the pipeline sheds is counted and marked as a gap; degrading (which loses far more
    %% than the burst) is kept for a rate over the limit or an overload that lasts a second.
    Sustained = Overload andalso maps:get(overload_ticks, Tick, ?SUSTAINED_TICKS) >= ?SUSTAINED_TICKS,
    case Rate > Limit orelse Sustained of
        true -> escalate(Counts, Degr, Sustained, Now);
        false when Rate * 4 < Limit, Calm >= ?CALM_TICKS -> relax(Counts, Limit, Degr, Now, Retry);
        false -> {Degr, []}
    end.

escalate(Counts, Degr, Overload, Now) ->
    Window = max(1, lists:sum([C || {_, C} <- Counts])),
    Est = lists:reverse(lists:keysort(2, [{MFA, round(C / duty(level(MFA, Degr)))} || {MFA, C} <- Counts,
                                                            C > 0, not suspended(MFA, Degr)])),
    %% The noisiest functions that together make at least half of the window.
    Pick = take_half(Est, Window div 2, ?MAX_PER_TICK),
    Steps = case Overload of true -> 2; false -> 1 end,
    lists:foldl(fun({MFA, R}, {D, Acts}) ->
                        case step(level(MFA, D), Steps) of
                            suspended -> {D#{MFA => {suspended, Now}}, [{suspend, MFA, R} | Acts]};
                            L -> {D#{MFA => L}, [{sample, MFA, L, R} | Acts]}
                        end
                end, {Degr, []}, Pick).

take_half([], _Need, _Max) -> [];
take_half(_, _Need, 0) -> [];
take_half([{_, R} = H | T], Need, Max) when Need > 0 -> [H | take_half(T, Need - R, Max - 1)];
take_half([H | _], _Need, _Max) -> [H].

relax(Counts, Limit, Degr, Now, Retry) ->
    lists:foldl(fun({MFA, {suspended, _} = V}, {D, Acts}) ->
                        case ready(V, Now, Retry) of
                            true -> {D#{MFA => 3}, [{restore, MFA, 3} | Acts]};
                            false -> {D, Acts}
                        end;
                   ({MFA, L}, {D, Acts}) ->
                        Est = round(proplists:get_value(MFA, Counts, 0) / duty(L)),
                        case Est * 4 < Limit orelse L =:= 1 of
                            true -> {maps:remove(MFA, D), [{restore, MFA, full} | Acts]};
                            false -> {D#{MFA => L - 1}, [{restore, MFA, L - 1} | Acts]}
                        end
                end, {Degr, []}, lists:sort(maps:to_list(Degr))).

ready({suspended, Since}, Now, Retry) -> Now - Since >= Retry.

level(MFA, Degr) ->
    case maps:get(MFA, Degr, full) of
        {suspended, _} -> suspended;
        L -> L
    end.

suspended(MFA, Degr) -> level(MFA, Degr) =:= suspended.

step(full, 1) -> 1;
step(full, 2) -> 2;
step(L, S) when is_integer(L), L + S =< 3 -> L + S;
step(_, _) -> suspended.
