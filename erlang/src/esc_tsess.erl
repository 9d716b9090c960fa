%% The one place that calls the VM's trace BIFs. On OTP >= 27 everything the recording engine sets
%% lives in its own trace session (trace:session_create/3); on OTP 25/26 the legacy global BIFs.
%%
%% Why sessions: a process can then be traced by :dbg, recon or another debugger and by us at the
%% same time, neither disturbing the other; session_destroy/1 removes every flag and pattern we set
%% in one step; and the VM itself destroys the session when its handle is garbage collected, so if
%% every agent process holding it is killed nothing we set stays behind. Only the controller and the
%% guard hold the (strong) handle; other agent processes reach the session through its weak handle,
%% kept in a small named ETS table owned by the process that opened the session (the controller):
%% it goes with its owner, and unlike a persistent_term, removing it costs the node no global scan.
%% Without an open session (OTP < 27, or no engine running, e.g. unit tests) every call goes to the
%% legacy BIFs, with the caller's flags, so code using this module behaves as before.
-module(esc_tsess).

-export([supported/0, open/1, close/1, is_open/1, current/0, process/3, function/3, info/2, delivered/1,
         untrace_self/0, sessions/0, set_bp_meta/1, bp_meta/0, bp_function/3]).

-define(TAB, esc_tsess).
-define(NAME, elixir_scope).

-type handle() :: {session, term()} | {legacy, pid()}.
-export_type([handle/0]).

%% Whether this VM has trace sessions (OTP >= 27).
-spec supported() -> boolean().
supported() ->
    code:ensure_loaded(trace) =:= {module, trace} andalso erlang:function_exported(trace, session_create, 3).

%% Starts tracing into Tracer: a new session on OTP >= 27 (the caller keeps the returned handle:
%% dropping every copy of it destroys the session), the legacy global tracer otherwise.
-spec open(pid()) -> handle().
open(Tracer) ->
    case supported() of
        true ->
            Strong = trace:session_create(?NAME, Tracer, []),
            ok = own_table(),
            true = ets:insert(?TAB, {weak, weak(Strong)}),
            {session, Strong};
        false ->
            %% The table also holds the breakpoint pattern kind (set_bp_meta/1).
            ok = own_table(),
            {legacy, Tracer}
    end.

%% The table must belong to the caller (the new controller): one left by a controller that is still
%% exiting would vanish under the new session. Wait (bounded) for such an owner to be gone.
own_table() ->
    Self = self(),
    case ets:info(?TAB, owner) of
        Self -> ok;
        undefined -> new_table();
        Owner ->
            Ref = erlang:monitor(process, Owner),
            receive {'DOWN', Ref, process, Owner, _} -> ok after 1000 -> erlang:demonitor(Ref, [flush]) end,
            ets:info(?TAB, owner) =:= undefined andalso new_table(),
            ok
    end.

new_table() ->
    _ = ets:new(?TAB, [named_table, public, set, {read_concurrency, true}]),
    ok.

%% Removes every flag and pattern of the handle's session (legacy: every process flag with this
%% tracer; patterns are removed by their owners). Safe to call twice and from any process.
-spec close(handle()) -> ok.
close({session, Strong}) ->
    _ = (catch trace:session_destroy(Strong)),
    _ = (catch ets:delete_object(?TAB, {weak, weak(Strong)})),
    ok;
close({legacy, Tracer}) ->
    case erlang:trace_info(new, tracer) of
        {tracer, Tracer} -> _ = erlang:trace(new, false, [all]);
        _ -> ok
    end,
    _ = [catch erlang:trace(P, false, [all]) || P <- processes(), erlang:trace_info(P, tracer) =:= {tracer, Tracer}],
    ok.

%% Whether the handle's settings can still be changed: a destroyed session's patterns are gone with
%% it, and calls made now would fall through to the legacy BIFs and touch another tool's settings.
-spec is_open(handle()) -> boolean().
is_open({session, Strong}) -> live() =:= weak(Strong);
is_open({legacy, _}) -> true.

%% The engine's live session (its weak handle), or `legacy` when none is open. A session whose
%% holders were all killed was destroyed by the VM; its stale weak handle is not used.
-spec current() -> term() | legacy.
current() ->
    case live() of
        undefined -> legacy;
        W -> W
    end.

live() ->
    case catch ets:lookup(?TAB, weak) of
        [{weak, W}] ->
            case lists:member(W, trace:session_info(all)) of
                true -> W;
                false -> undefined
            end;
        _ -> undefined
    end.

%% erlang:trace/3 inside the engine's session. A `{tracer, _}` flag is for the legacy BIFs only
%% (a session has one tracer) and dropped in a session.
-spec process(pid() | all | new | existing, boolean(), list()) -> non_neg_integer().
process(Procs, How, Flags) ->
    case current() of
        legacy -> erlang:trace(Procs, How, Flags);
        S -> trace:process(S, Procs, How, [F || F <- Flags, not is_tuple(F)])
    end.

%% erlang:trace_pattern/3 inside the engine's session.
-spec function(mfa() | {module(), '_' | atom(), '_' | arity()}, term(), list()) -> non_neg_integer().
function(MFA, Ms, Flags) ->
    case current() of
        legacy -> erlang:trace_pattern(MFA, Ms, Flags);
        S -> trace:function(S, MFA, Ms, Flags)
    end.

%% erlang:trace_info/2 inside the engine's session.
-spec info(term(), atom()) -> term().
info(What, Item) ->
    case current() of
        legacy -> erlang:trace_info(What, Item);
        S -> trace:info(S, What, Item)
    end.

%% erlang:trace_delivered/1 inside the engine's session: the caller later gets
%% {trace_delivered, Tracee, Ref}.
-spec delivered(pid() | all) -> reference().
delivered(Tracee) ->
    case current() of
        legacy -> erlang:trace_delivered(Tracee);
        S -> trace:delivered(S, Tracee)
    end.

%% Agent processes are never traced: removes every flag from the calling process, in the engine's
%% session and in the legacy one.
-spec untrace_self() -> ok.
untrace_self() ->
    _ = (catch erlang:trace(self(), false, [all])),
    case current() of
        legacy -> ok;
        S -> _ = (catch trace:process(S, self(), false, [all])), ok
    end.

%% Breakpoint patterns are meta patterns into Tracer while no process carries a trace flag of the
%% engine (a breakpoint-only session: a call pattern would never fire), call patterns otherwise
%% (false). Called by the controller, which owns the table.
-spec set_bp_meta(pid() | false) -> ok.
set_bp_meta(Tracer) ->
    true = ets:insert(?TAB, [{bp_meta, Tracer} | [{meta_tracer, Tracer} || is_pid(Tracer)]]),
    ok.

%% The meta tracer of breakpoint patterns, or false (call patterns; also when no engine runs).
-spec bp_meta() -> pid() | false.
bp_meta() ->
    case catch ets:lookup(?TAB, bp_meta) of
        [{bp_meta, T}] -> T;
        _ -> false
    end.

%% Sets a breakpoint pattern (Kind: local, or global for probe stubs) as the engine's mode wants,
%% and removes the pattern of the other mode, so a switch of mode never leaves a function with
%% both (one hit, two messages). Meta patterns: `{meta, Tracer}` on the legacy BIFs; in a session
%% `meta` (its tracer; the session API refuses `{meta, Pid}`). The other mode's meta pattern is
%% only removed when it is ours (the legacy BIFs share meta patterns with other tools).
-spec bp_function(mfa(), list() | false, local | global) -> ok.
bp_function(MFA, Ms, Kind) ->
    case {bp_meta(), current()} of
        {false, Cur} ->
            _ = function(MFA, Ms, [Kind]),
            Ours = case catch ets:lookup(?TAB, meta_tracer) of
                       [{meta_tracer, T}] -> Cur =/= legacy orelse erlang:trace_info(MFA, meta) =:= {meta, T};
                       _ -> false
                   end,
            _ = Ours andalso function(MFA, false, [meta]),
            ok;
        {Tracer, legacy} ->
            _ = erlang:trace_pattern(MFA, Ms, [{meta, Tracer}]),
            _ = erlang:trace_pattern(MFA, false, [Kind]),
            ok;
        {_Tracer, S} ->
            _ = trace:function(S, MFA, Ms, [meta]),
            _ = trace:function(S, MFA, false, [Kind]),
            ok
    end.

%% Names of the trace sessions on this node (`[]` before OTP 27): cleanup checks assert that ours
%% is gone.
-spec sessions() -> [atom()].
sessions() ->
    case supported() of
        true -> [element(1, W) || W <- trace:session_info(all), is_tuple(W)];
        false -> []
    end.

%% A session handle is {Ref, WeakHandle}; the weak handle alone does not keep the session alive.
weak({_Ref, Weak}) -> Weak;
weak(Strong) -> Strong.
