%% Process identity from what travels with trace events, so a process is named even when it is gone
%% by the time the encoder sees its first event (most ExUnit test processes, Tasks, short spawns).
%%
%% An identity is a map of binaries (the ProcessEvent fields) plus the callback module atom:
%%   reg, via, initial ("Elixir.Mod:init/1"), cb (atom | undefined), kind (<<"test">> | <<"task">> |
%%   <<"agent">> | <<>>), entry ("Elixir.Mod:fun/arity": the user code the process was started for:
%%   the test function, the Task's or Agent's fun or MFA, a spawn's fun, the module behind a
%%   GenServer wrapper such as GenStage, else the first recorded function it called).
%% Sources, each read by the encoder (never in the traced process):
%% - the ExUnit probe: a call-only pattern on one ExUnit.Runner function that runs in every test
%%   process before its setup (its arguments hold the %ExUnit.Test{}: module and test name);
%% - the `spawned` event of a child of a recorded process (procs + set_on_spawn): {M, F, Args} of
%%   the spawn, where proc_lib's arguments carry gen's name and callback module, Task.Supervised's the
%%   user's fun or MFA;
%% - the first traced call ({M, F, Args}), and init/1 calls of recorded callback modules;
%% - a Task's first received message (Task.async sends it its fun);
%% - `register` events (a name taken after the start renames the process);
%% - process_info while the process is still alive (registered name, '$initial_call', '$callers').
%% Merging only fills empty fields, so the earliest (most specific) source wins.
-module(esc_trace_ident).

-export([empty/0, merge/2, probe_mfas/0, set_probes/1, clear_probes/0, from_test_args/1,
         from_spawn/1, from_call/2, from_received/1, from_register/1, from_info/1, encode/1,
         mfa_bin/3, fun_entry/1]).

-include("esc_proto.hrl").

-define(RUNNER, 'Elixir.ExUnit.Runner').
%% The first of these that exists is probed: each runs in the test process, before the test's setup,
%% with the %ExUnit.Test{} as its first argument.
-define(PROBES, [{exec_test_setup, 2}, {exec_test, 2}, {exec_test, 1}]).

-type ident() :: #{reg := binary(), via := binary(), initial := binary(), cb := atom(),
                   kind := binary(), entry := binary()}.
-export_type([ident/0]).

-spec empty() -> ident().
empty() ->
    #{reg => <<>>, via => <<>>, initial => <<>>, cb => undefined, kind => <<>>, entry => <<>>}.

%% Fills the empty fields of Old from New (a partial map).
-spec merge(ident(), map()) -> ident().
merge(Old, New) ->
    maps:fold(fun(K, V, Acc) ->
                      case maps:get(K, Acc, <<>>) of
                          E when E =:= <<>>; E =:= undefined -> Acc#{K => V};
                          _ -> Acc
                      end
              end, Old, maps:filter(fun(_, V) -> V =/= <<>> andalso V =/= undefined end, New)).

%% ---------------------------------------------------------------- ExUnit probe

%% The ExUnit.Runner function to probe on this node (loaded if ExUnit is on the code path).
-spec probe_mfas() -> [mfa()].
probe_mfas() ->
    case code:ensure_loaded(?RUNNER) of
        {module, _} ->
            Fs = ?RUNNER:module_info(functions),
            case [{?RUNNER, F, A} || {F, A} <- ?PROBES, lists:member({F, A}, Fs)] of
                [First | _] -> [First];
                [] -> []
            end;
        _ -> []
    end.

%% Sets the call-only probe unless the plan records ExUnit.Runner itself; true when set.
-spec set_probes([module()]) -> boolean().
set_probes(PlanMods) ->
    case lists:member(?RUNNER, PlanMods) of
        true -> false;
        false ->
            MFAs = probe_mfas(),
            [esc_tsess:function(MFA, [{'_', [], []}], [local]) || MFA <- MFAs],
            MFAs =/= []
    end.

-spec clear_probes() -> ok.
clear_probes() ->
    case erlang:module_loaded(?RUNNER) of
        true -> [catch esc_tsess:function({?RUNNER, F, A}, false, [local]) || {F, A} <- ?PROBES];
        false -> ok
    end,
    ok.

%% The test of a probe call's arguments: kind test, entry "Elixir.TestModule:test name/1".
-spec from_test_args(list()) -> map().
from_test_args([#{'__struct__' := 'Elixir.ExUnit.Test', module := M, name := N} | _])
  when is_atom(M), is_atom(N) ->
    #{kind => <<"test">>, entry => mfa_bin(M, N, 1)};
from_test_args(_) -> #{}.

%% ---------------------------------------------------------------- events

%% A `spawned` event's {M, F, Args}.
-spec from_spawn({module(), atom(), term()}) -> map().
from_spawn({proc_lib, init_p, [_Parent, _Ancestors, gen, init_it, GenArgs]}) when is_list(GenArgs) ->
    gen(GenArgs);
from_spawn({proc_lib, init_p, [_Parent, _Ancestors, 'Elixir.Task.Supervised', _F, TArgs]}) when is_list(TArgs) ->
    %% Task.start/Task.Supervisor: the user's fun or MFA is the last argument; Task.async sends it later.
    Entry = case lists:reverse(TArgs) of
                [Last | _] -> code_entry(Last);
                [] -> <<>>
            end,
    #{kind => <<"task">>, entry => Entry};
from_spawn({proc_lib, init_p, [_Parent, _Ancestors, Fun]}) when is_function(Fun) ->
    #{entry => fun_entry(Fun)};
from_spawn({proc_lib, init_p, [_Parent, _Ancestors, M, F, A]}) when is_atom(M), is_atom(F), is_list(A) ->
    #{entry => mfa_bin(M, F, length(A))};
from_spawn({erlang, apply, [Fun, _]}) when is_function(Fun) ->
    #{entry => fun_entry(Fun)};
from_spawn({M, F, A}) when is_atom(M), is_atom(F), is_list(A) ->
    #{entry => mfa_bin(M, F, length(A))};
from_spawn(_) -> #{}.

%% gen:init_it/6,7 arguments: [GenMod, Starter, Parent, (Name,) Mod, Args, Options].
gen([_GenMod, _Starter, _Parent, Name, Mod, Args, _Opts]) when is_atom(Mod) ->
    maps:merge(callback(Mod, Args), name(Name));
gen([_GenMod, _Starter, _Parent, Mod, Args, _Opts]) when is_atom(Mod) ->
    callback(Mod, Args);
gen(_) -> #{}.

name({local, N}) when is_atom(N) -> #{reg => atom_to_binary(N, utf8)};
name({global, N}) -> #{via => inspect(N)};
%% An Elixir Registry name is shown as its key, as the encoder's live lookup (esc_trace_announce) shows
%% it: the same process gets the same name whichever way it was learnt.
name({via, 'Elixir.Registry', {_Registry, Key}}) -> #{via => inspect(Key)};
name({via, _Mod, N}) -> #{via => inspect(N)};
name(_) -> #{}.

%% A gen process's callback module and init argument: an Agent's fun, or the module a wrapper
%% behaviour (GenStage, ConsumerSupervisor: init({Mod, ...})) runs for the user.
callback('Elixir.Agent.Server' = Mod, Arg) ->
    #{cb => Mod, initial => mfa_bin(Mod, init, 1), kind => <<"agent">>, entry => code_entry(Arg)};
callback(Mod, Arg) ->
    #{cb => Mod, initial => mfa_bin(Mod, init, 1), entry => wrapped(Mod, Arg)}.

wrapped(Mod, Arg) when is_tuple(Arg), tuple_size(Arg) >= 2, is_atom(element(1, Arg)) ->
    Inner = element(1, Arg),
    case Inner =/= Mod andalso Inner =/= undefined andalso erlang:function_exported(Inner, init, 1) of
        true -> mfa_bin(Inner, init, 1);
        false -> <<>>
    end;
wrapped(_, _) -> <<>>.

%% A traced call: init/1 of a recorded callback module names a GenServer (Cbs: the encoder's
%% cb_mods), and so does one of its handle_* callbacks (the process's start may not have been seen:
%% it ran before recording began, or its first events were lost to overload); any other call is
%% only the process's first recorded function.
-spec from_call({module(), atom(), list()}, map()) -> map().
from_call({M, init, [Arg]}, Cbs) when is_map_key(M, Cbs) ->
    #{cb => M, initial => mfa_bin(M, init, 1), entry => wrapped(M, Arg)};
from_call({M, F, Args}, Cbs) when is_map_key(M, Cbs) ->
    case lists:member({F, length(Args)}, [{handle_call, 3}, {handle_cast, 2}, {handle_info, 2},
                                          {handle_continue, 2}, {handle_event, 4}]) of
        true -> #{cb => M};
        false -> #{entry => mfa_bin(M, F, length(Args))}
    end;
from_call({M, F, Args}, _Cbs) ->
    #{entry => mfa_bin(M, F, length(Args))}.

%% Task.async's first message to its process ends with the user's fun or MFA
%% ({Owner, Ref, Ref, Callers, FunOrMFA} on Elixir 1.14).
-spec from_received(term()) -> map().
from_received(Msg) when is_tuple(Msg), tuple_size(Msg) >= 4, tuple_size(Msg) =< 6 ->
    case code_entry(element(tuple_size(Msg), Msg)) of
        <<>> -> #{};
        E -> #{entry => E}
    end;
from_received(_) -> #{}.

-spec from_register(atom()) -> map().
from_register(Name) when is_atom(Name) -> #{reg => atom_to_binary(Name, utf8)};
from_register(_) -> #{}.

%% What the process itself says while alive (undefined when it is gone).
-spec from_info(pid()) -> map().
from_info(Pid) when node(Pid) =:= node() ->
    case erlang:process_info(Pid, [registered_name, initial_call, dictionary]) of
        undefined -> #{};
        Info ->
            Reg = case proplists:get_value(registered_name, Info) of
                      [] -> <<>>;
                      Name -> atom_to_binary(Name, utf8)
                  end,
            Dict = proplists:get_value(dictionary, Info, []),
            {M, F, A} = case lists:keyfind('$initial_call', 1, Dict) of
                            {_, {_, _, _} = IC} -> IC;
                            _ -> proplists:get_value(initial_call, Info)
                        end,
            Initial = mfa_bin(M, F, A),
            Base = #{reg => Reg, initial => Initial},
            case {F, A, lists:keymember('$callers', 1, Dict), lists:keymember('$initial_call', 1, Dict)} of
                {init, 1, _, _} -> Base#{cb => M};
                %% Elixir's Task puts '$callers' and the user's fun as '$initial_call'.
                {_, _, true, _} -> Base#{kind => <<"task">>, entry => Initial};
                %% proc_lib (and an Agent's init) keep the code the process was started for there.
                {_, _, false, true} -> Base#{entry => Initial};
                _ -> Base
            end
    end;
from_info(_Pid) -> #{}.

%% ---------------------------------------------------------------- encoding

%% ProcessEvent fields (behaviour is the encoder's: it knows the recorded callback kinds).
-spec encode(ident()) -> binary().
encode(#{reg := Reg, cb := Cb, initial := Initial, via := Via, kind := Kind, entry := Entry}) ->
    CbBin = case Cb of undefined -> <<>>; _ -> atom_to_binary(Cb, utf8) end,
    <<(esc_trace_enc:field_str(?ESC_F_ProcessEvent_registered_name, Reg))/binary,
      (esc_trace_enc:field_str(?ESC_F_ProcessEvent_callback_module, CbBin))/binary,
      (esc_trace_enc:field_str(?ESC_F_ProcessEvent_initial_call, Initial))/binary,
      (esc_trace_enc:field_str(?ESC_F_ProcessEvent_via_name, Via))/binary,
      (esc_trace_enc:field_str(?ESC_F_ProcessEvent_kind, Kind))/binary,
      (esc_trace_enc:field_str(?ESC_F_ProcessEvent_entry, Entry))/binary>>.

-spec mfa_bin(atom(), atom(), arity()) -> binary().
mfa_bin(M, F, A) ->
    iolist_to_binary([atom_to_binary(M, utf8), $:, atom_to_binary(F, utf8), $/, integer_to_binary(A)]).

%% A fun as the function that defines it ("Elixir.Mod:-test x/1-fun-0-/0").
-spec fun_entry(function()) -> binary().
fun_entry(Fun) ->
    {module, M} = erlang:fun_info(Fun, module),
    {arity, A} = erlang:fun_info(Fun, arity),
    %% The name is [] when the fun's module is not loaded (esc_trace_enc:fun_name/1).
    iolist_to_binary([atom_to_binary(M, utf8), $:, esc_trace_enc:fun_name(Fun), $/, integer_to_binary(A)]).

%% The code a Task or Agent runs: a fun, {M, F, Args}, or {erlang, apply, [Fun, Args]}.
code_entry({erlang, apply, [Fun, _]}) when is_function(Fun) -> fun_entry(Fun);
code_entry({M, F, A}) when is_atom(M), is_atom(F), is_list(A) -> mfa_bin(M, F, length(A));
code_entry(Fun) when is_function(Fun) -> fun_entry(Fun);
code_entry(_) -> <<>>.

inspect(T) ->
    try 'Elixir.Kernel':inspect(T) catch _:_ -> iolist_to_binary(io_lib:format("~0p", [T])) end.
