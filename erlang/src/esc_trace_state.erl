%% Encoder: the state history of GenServer and gen_statem processes of recorded callback modules:
%% the callbacks in progress per process, and the STATE event (a new version) each return produces.
-module(esc_trace_state).

-export([observed_state/6, callback_call/3, callback_abort/3, callback_return/6, initial_state/6,
         mark_upgraded/1, forget/1]).

-include("esc_proto.hrl").

%% A stop in a GenServer / gen_statem callback of a module whose state history is not recorded (a
%% breakpoint-only session, or a module outside the plan): the state the callback was called with
%% becomes a state version just before the hit, marked `initial` (a state seen, not one a callback
%% produced), so the stop shows it. Only when the process runs that module as its callback module.
-spec observed_state(pid(), {module(), atom(), list()}, term(), {integer(), integer()}, map(),
                     esc_trace_batch:batch()) -> esc_trace_batch:batch().
observed_state(Pid, {M, F, Args}, #{hits := [_ | _]}, Ts, #{cb_mods := Cbs} = Ctx, B)
  when not is_map_key(M, Cbs), node(Pid) =:= node() ->
    case called_state(cb_kind(M), F, Args) of
        {ok, S} ->
            case esc_trace_announce:describe(Pid) of
                {_, _, M} ->
                    B1 = esc_trace_announce:announce(Pid, Ts, Ctx, B),
                    state_event(Pid, {M, F, length(Args)}, <<"initial">>, undefined, undefined, S, Ts, Ctx, B1);
                _ -> B
            end;
        none -> B
    end;
observed_state(_Pid, _Call, _Hit, _Ts, _Ctx, B) ->
    B.

called_state(gen_server, handle_call, [_, _, S]) -> {ok, S};
called_state(gen_server, F, [_, S]) when F =:= handle_cast; F =:= handle_info; F =:= handle_continue -> {ok, S};
called_state({gen_statem, handle_event_function}, handle_event, [_, _, Name, D]) -> {ok, {Name, D}};
called_state({gen_statem, state_functions}, F, [Type, _, D]) when F =/= terminate, F =/= code_change ->
    case event_type(Type) of true -> {ok, {F, D}}; false -> none end;
called_state(_, _, _) -> none.

event_type({call, _}) -> true;
event_type({timeout, _}) -> true;
event_type(T) -> lists:member(T, [cast, info, timeout, state_timeout, internal, enter]).

%% The behaviour of M (esc_trace_plan:callback_kind/1), cached per encoder: asked on stops only.
cb_kind(M) ->
    case get({esc_cb_kind, M}) of
        undefined -> K = esc_trace_plan:callback_kind(M), put({esc_cb_kind, M}, K), K;
        K -> K
    end.

%% Pending callbacks per process: {Function, Message, From, StateName}; StateName is the gen_statem
%% state the callback runs in (for keep_state returns), undefined for a gen_server.
-spec callback_call(pid(), {module(), atom(), list()}, map()) -> term().
callback_call(Pid, {M, F, Args}, #{cb_mods := Cbs}) ->
    case Cbs of
        #{M := gen_server} ->
            case {F, Args} of
                {init, [_]} -> push(Pid, {init, undefined, undefined, undefined});
                {handle_call, [Req, From, _]} -> push(Pid, {handle_call, Req, From, undefined});
                {handle_cast, [Msg, _]} -> push(Pid, {handle_cast, Msg, undefined, undefined});
                {handle_info, [Msg, _]} -> push(Pid, {handle_info, Msg, undefined, undefined});
                {handle_continue, [Msg, _]} -> push(Pid, {handle_continue, Msg, undefined, undefined});
                _ -> ok
            end;
        #{M := {gen_statem, Mode}} ->
            case {Mode, F, Args} of
                {_, init, [_]} -> push(Pid, {init, undefined, undefined, undefined});
                {state_functions, _, [Type, Content, _Data]} when F =/= terminate ->
                    {Msg, From} = statem_event(Type, Content),
                    push(Pid, {F, Msg, From, F});
                {handle_event_function, handle_event, [Type, Content, State, _Data]} ->
                    {Msg, From} = statem_event(Type, Content),
                    push(Pid, {F, Msg, From, State});
                _ -> ok
            end;
        _ -> ok
    end.

%% A gen_statem event as the message of a state version: {call, Request} with the caller as From,
%% {cast, Msg}, {info, Msg}, {state_timeout, Content}, {enter, OldState}, ...
statem_event({call, From}, Content) -> {{call, Content}, From};
statem_event(Type, Content) -> {{Type, Content}, undefined}.

%% An exception left a callback: it produced no state.
-spec callback_abort(pid(), mfa(), map()) -> ok.
callback_abort(Pid, {M, F, A}, #{cb_mods := Cbs}) ->
    case Cbs of
        #{M := Kind} -> case is_callback(Kind, F, A) of true -> _ = pop(Pid, F), ok; false -> ok end;
        _ -> ok
    end.

is_callback(_, init, 1) -> true;
is_callback(gen_server, handle_call, 3) -> true;
is_callback(gen_server, handle_cast, 2) -> true;
is_callback(gen_server, handle_info, 2) -> true;
is_callback(gen_server, handle_continue, 2) -> true;
is_callback({gen_statem, state_functions}, F, 3) -> F =/= terminate;
is_callback({gen_statem, handle_event_function}, handle_event, 4) -> true;
is_callback(_, _, _) -> false.

%% A callback returned: the state it returns becomes the next version (a STATE event).
-spec callback_return(pid(), mfa(), term(), {integer(), integer()}, map(), esc_trace_batch:batch()) ->
          esc_trace_batch:batch().
callback_return(Pid, {M, F, A} = MFA, Value, Ts, #{cb_mods := Cbs} = Ctx, B) ->
    Kind = maps:get(M, Cbs, none),
    case Kind =/= none andalso is_callback(Kind, F, A) andalso pop(Pid, F) of
        {ok, Msg, From, Cur} ->
            case new_state(Kind, F, Value, Cur) of
                {ok, S} -> state_event(Pid, MFA, atom_to_binary(F, utf8), Msg, From, S, Ts, Ctx, B);
                none -> B
            end;
        _ -> B
    end.

new_state(gen_server, init, {ok, S}) -> {ok, S};
new_state(gen_server, init, {ok, S, _}) -> {ok, S};
new_state(gen_server, handle_call, {reply, _, S}) -> {ok, S};
new_state(gen_server, handle_call, {reply, _, S, _}) -> {ok, S};
new_state(gen_server, handle_call, {stop, _, _, S}) -> {ok, S};
new_state(gen_server, init, _) -> none;
new_state(gen_server, _, {noreply, S}) -> {ok, S};
new_state(gen_server, _, {noreply, S, _}) -> {ok, S};
new_state(gen_server, _, {stop, _, S}) -> {ok, S};
%% gen_statem: the version is {StateName, Data}; *_and_data returns change nothing.
new_state({gen_statem, _}, init, {ok, S, D}) -> {ok, {S, D}};
new_state({gen_statem, _}, init, {ok, S, D, _}) -> {ok, {S, D}};
new_state({gen_statem, _}, _, {next_state, S, D}) -> {ok, {S, D}};
new_state({gen_statem, _}, _, {next_state, S, D, _}) -> {ok, {S, D}};
new_state({gen_statem, _}, _, {K, D}) when K =:= keep_state; K =:= repeat_state -> {same_state, D};
new_state({gen_statem, _}, _, {K, D, _}) when K =:= keep_state; K =:= repeat_state -> {same_state, D};
new_state({gen_statem, _}, _, {stop, _, D}) -> {same_state, D};
new_state({gen_statem, _}, _, {stop_and_reply, _, _, D}) -> {same_state, D};
new_state(_, _, _) -> none.

%% Cur: the state name the gen_statem callback ran in (kept by same-state returns).
new_state(Kind, F, Value, Cur) ->
    case new_state(Kind, F, Value) of
        {same_state, D} -> {ok, {Cur, D}};
        Other -> Other
    end.

state_event(Pid, MFA, Callback, Msg, From, S, Ts, Ctx, B) ->
    {Version, Pending, Up} = pstate(Pid),
    V = Version + 1,
    put({esc_p, Pid}, {V, Pending, Up}),
    L = map_get(limits, Ctx),
    Vf = esc_trace_enc:field_varint(?ESC_F_StateEvent_version, V),
    Cf = esc_trace_enc:field_bytes(?ESC_F_StateEvent_callback, Callback),
    {Mf, MSz} = case Msg of
                    undefined -> {<<>>, 0};
                    _ -> {M0, M0Sz} = esc_trace_enc:term_io(Msg, L),
                         esc_trace_enc:field_io(?ESC_F_StateEvent_message, M0, M0Sz)
                end,
    {S0, S0Sz} = esc_trace_enc:term_io(S, L),
    {Sf, SSz} = esc_trace_enc:field_io(?ESC_F_StateEvent_state, S0, S0Sz),
    Ff = case From of
             {FromPid, _} when is_pid(FromPid) ->
                 esc_trace_enc:field_bytes(?ESC_F_StateEvent_from, esc_trace_enc:pid_bin(FromPid));
             _ -> <<>>
         end,
    Sz = byte_size(Vf) + byte_size(Cf) + MSz + SSz + byte_size(Ff),
    esc_trace_batch:add(Pid, Ts, ?ESC_E_EventKind_STATE, MFA,
                        esc_trace_enc:field_io(?ESC_F_EventBody_state, [Vf, Cf, Mf, Sf, Ff], Sz), 0, 0, 0, B).

%% A process that was running before tracing began: its current state becomes version 1, unless
%% a callback return already produced a version (then B is returned as it is).
-spec initial_state(pid(), module(), term(), {integer(), integer()}, map(), esc_trace_batch:batch()) ->
          esc_trace_batch:batch().
initial_state(Pid, Mod, State, Ts, Ctx, B) ->
    case pstate(Pid) of
        {0, _, _} ->
            B0 = esc_trace_announce:announce(Pid, Ts, Ctx, B),
            state_event(Pid, {Mod, init, 1}, <<"initial">>, undefined, undefined, State, Ts, Ctx, B0);
        _ -> B
    end.

%% Whether the first traced call of Pid is still to come (then it is marked upgraded now: see
%% esc_trace_events upgrade/2). The flag lives in the process's entry, with its state history.
-spec mark_upgraded(pid()) -> boolean().
mark_upgraded(Pid) ->
    case pstate(Pid) of
        {_, _, true} -> false;
        {V, P, false} -> put({esc_p, Pid}, {V, P, true}), true
    end.

%% Drops what is kept of Pid (it exited, or is gone).
-spec forget(pid()) -> ok.
forget(Pid) ->
    erase({esc_p, Pid}),
    ok.

pstate(Pid) ->
    case get({esc_p, Pid}) of
        undefined -> {0, [], false};
        P -> P
    end.

push(Pid, Entry) ->
    {V, Pending, Up} = pstate(Pid),
    put({esc_p, Pid}, {V, [Entry | lists:sublist(Pending, 7)], Up}).

%% The innermost pending callback of that name (events lost to sampling or drops can leave others).
pop(Pid, F) ->
    {V, Pending, Up} = pstate(Pid),
    case lists:keytake(F, 1, Pending) of
        {value, {F, Msg, From, Cur}, Rest} -> put({esc_p, Pid}, {V, Rest, Up}), {ok, Msg, From, Cur};
        false -> none
    end.
