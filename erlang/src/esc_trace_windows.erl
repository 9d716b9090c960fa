%% The recording engine's sampling windows (esc_trace_ctl): which functions are recorded 1 call in N
%% or not at all, since when, and about how many calls that skipped, reported as gaps.
-module(esc_trace_windows).

-export([new/0, track/4, report/3, close_all/2]).
-export_type([windows/0]).

%% A sampled or suspended function is a gap in every process that calls it, which the VM never
%% tells: the controller reports it per function and time window (AgentMessage.gaps with `mfa`),
%% with the calls it skipped, estimated from the calls it kept. An open window is reported once a
%% second (the adapter keeps the latest report of a window), a closed one when its level changes.
%% open: per function, {level (1 call in 4^Level) or suspended, since (ns from the agent start),
%% skipped calls estimated}; out: gaps of closed windows not sent yet.
-record(w, {open = #{} :: #{mfa() => {1..3 | suspended, integer(), non_neg_integer()}},
            out = [] :: [map()]}).
-opaque windows() :: #w{}.

-spec new() -> windows().
new() ->
    #w{}.

%% One tick: the calls of a sampled function counted (Counts, per MFA) add to its open window's
%% estimate of skipped calls; the safety loop's Actions open and close windows; closed ones are sent.
-spec track([{mfa(), non_neg_integer()}], [tuple()], windows(), map()) -> windows().
track(Counts, Actions, #w{open = W0, out = Out} = Win, Ctx) ->
    W1 = lists:foldl(fun({MFA, C}, W) ->
                             case W of
                                 #{MFA := {L, From, Est}} when is_integer(L) ->
                                     W#{MFA := {L, From, Est + round(C * (1 / esc_trace_safety:duty(L) - 1))}};
                                 _ -> W
                             end
                     end, W0, Counts),
    Now = mono_now(Ctx),
    {W2, Closed} = lists:foldl(fun(A, {W, Cl}) -> window_action(A, Now, W, Cl) end, {W1, []}, Actions),
    Win2 = Win#w{open = W2, out = Out ++ lists:reverse(Closed)},
    case Closed of
        [] -> Win2;
        _ -> report(false, Win2, Ctx)
    end.

window_action({sample, MFA, L, _}, Now, W, Cl) -> reopen(MFA, L, Now, W, Cl);
window_action({suspend, MFA, _}, Now, W, Cl) -> reopen(MFA, suspended, Now, W, Cl);
window_action({restore, MFA, full}, Now, W, Cl) -> {maps:remove(MFA, W), close_window(MFA, Now, W, Cl)};
window_action({restore, MFA, L}, Now, W, Cl) -> reopen(MFA, L, Now, W, Cl);
window_action(_, _Now, W, Cl) -> {W, Cl}.

reopen(MFA, L, Now, W, Cl) ->
    {W#{MFA => {L, Now, 0}}, close_window(MFA, Now, W, Cl)}.

close_window(MFA, Now, W, Cl) ->
    case W of
        #{MFA := {L, From, Est}} -> [window_gap(MFA, L, From, Now, Est) | Cl];
        _ -> Cl
    end.

%% Closes every window (the degradation was reset); they are sent with the next report.
-spec close_all(windows(), map()) -> windows().
close_all(#w{open = W, out = Out}, Ctx) ->
    Now = mono_now(Ctx),
    #w{open = #{}, out = Out ++ [window_gap(MFA, L, From, Now, Est) || {MFA, {L, From, Est}} <- maps:to_list(W)]}.

window_gap({M, F, A}, L, From, To, Est) ->
    #{pid => <<>>, mfa => #{module => atom_to_binary(M, utf8), function => atom_to_binary(F, utf8), arity => A},
      count => Est, reason => case L of suspended -> 'SUSPENDED'; _ -> 'SAMPLED' end,
      one_in => case L of suspended -> 0; _ -> 1 bsl (2 * L) end, from_mono => From, to_mono => To}.

%% Closed windows not yet sent, plus (Open) the open ones as they stand; closed ones wait for the
%% next try when the sink refuses (bounded).
-spec report(boolean(), windows(), map()) -> windows().
report(Open, #w{out = Out, open = W} = Win, Ctx) ->
    Now = mono_now(Ctx),
    OpenGaps = case Open of
                   true -> [window_gap(MFA, L, From, Now, Est) || {MFA, {L, From, Est}} <- maps:to_list(W)];
                   false -> []
               end,
    case Out ++ OpenGaps of
        [] -> Win;
        Gaps ->
            case esc_trace_sink:message(Ctx, #{msg => {gaps, #{gaps => Gaps}}}) of
                ok -> Win#w{out = []};
                dropped -> Win#w{out = lists:sublist(Out, 1000)}
            end
    end.

mono_now(#{start_mono := M0}) ->
    erlang:monotonic_time(nanosecond) - M0.
