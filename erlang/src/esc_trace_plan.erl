%% Trace plans: which modules to record, and with which match specification per function.
%%
%% Pure helpers plus the calls that set and remove trace patterns. Rules:
%% - `modules` are recorded as named (the user asked), except the agent (esc_*) and the few modules
%%   the runtime itself depends on (erlang, erts_*, prim_*, init);
%% - `apps` and `prefixes` never select OTP or Elixir's own modules (anything under code:lib_dir()
%%   or in the elixir/eex/mix/logger/iex/ex_unit applications), nor the agent;
%% - requested modules that exist on the code path are loaded now, so that code running right after
%%   the plan (init/1, Application.start/2) is recorded; the rest are picked up when they load.
%%
%% Tail recursion: a return_trace/exception_trace action pushes a frame on the traced process's
%% stack, so a tail-recursive loop recorded that way would grow its stack without bound. Functions
%% on a cycle of tail calls in the module's BEAM code (self or mutual, including ?MODULE:loop/1
%% calls) are therefore recorded call-only: their calls are events, their returns are not (the
%% return of the non-loop function that entered the loop closes the whole chain).
-module(esc_trace_plan).

-export([resolve/1, inspect/1, excluded/1, refused/1, set_module/3, clear_module/1,
         ms_full/0, ms_call_only/0, ms_sampled/2, base_ms/3, callbacks/0, tail_loops/1, sentinel/2,
         callback_kind/1]).

-export_type([mod_info/0, level/0]).

%% Per-module facts the controller keeps: functions to leave untraced, call-only functions,
%% whether it is a GenServer callback module, its md5 (reload detection) and a sentinel function.
-type mod_info() :: #{loops := [{atom(), arity()}], callback_module := boolean(),
                      callback_kind := callback_kind(), md5 := binary(), sentinel := {atom(), arity()} | none}.
%% Whose state history the encoders keep: a gen_server's, a gen_statem's ({StateName, Data}).
-type callback_kind() :: gen_server | {gen_statem, state_functions | handle_event_function} | none.
-export_type([callback_kind/0]).
%% Degradation of one function: sampled at level 1..3, or suspended.
-type level() :: 1 | 2 | 3 | suspended.

-define(NEVER, [module_info, '__info__', '$handle_undefined_function', behaviour_info]).
-define(ELIXIR_APPS, [elixir, eex, mix, logger, iex, ex_unit]).

%% GenServer callbacks whose returns carry a new state.
-spec callbacks() -> [{atom(), arity()}].
callbacks() ->
    [{init, 1}, {handle_call, 3}, {handle_cast, 2}, {handle_info, 2}, {handle_continue, 2}].

%% Resolves a Configure map to {Modules, NotLoaded, Excluded}: modules to record now, requested
%% modules not loadable yet (recorded when they load), and requested modules refused.
-spec resolve(map()) -> {[module()], [module()], [{module(), binary()}]}.
resolve(Config) ->
    Exact = [esc_lib:to_atom(M) || M <- maps:get(modules, Config, [])],
    Apps = [esc_lib:to_atom(A) || A <- maps:get(apps, Config, [])],
    Prefixes = [esc_lib:to_bin(P) || P <- maps:get(prefixes, Config, []), P =/= <<>>, P =/= ""],
    AppMods = lists:append([app_modules(A) || A <- Apps]),
    PrefixMods = prefix_modules(Prefixes),
    {ExactOk, ExactBad} = lists:partition(fun(M) -> not hard_excluded(M) end, Exact),
    Broad = [M || M <- lists:usort(AppMods ++ PrefixMods), not excluded(M)],
    Wanted = lists:usort(ExactOk ++ Broad),
    {Loaded, NotLoaded} = lists:partition(fun(M) -> ensure_loaded(M) end, Wanted),
    {Loaded, NotLoaded, [{M, <<"the agent and the runtime's core modules are never traced">>} || M <- ExactBad]}.

%% True for modules apps/prefixes never select: OTP, Elixir itself, the agent.
-spec excluded(module()) -> boolean().
excluded(M) ->
    hard_excluded(M) orelse system_module(M).

%% True for modules never traced even when named: the agent and the runtime's core.
-spec refused(module()) -> boolean().
refused(M) -> hard_excluded(M).

hard_excluded(M) ->
    B = atom_to_binary(M, utf8),
    lists:any(fun(P) -> binary:longest_common_prefix([B, P]) =:= byte_size(P) end,
              [<<"esc_">>, <<"erts_">>, <<"prim_">>])
        orelse lists:member(M, [erlang, init, otp_ring0, erl_tracer, zlib]).

system_module(M) ->
    case code:which(M) of
        preloaded -> true;
        Path when is_list(Path) ->
            lists:any(fun(Dir) -> lists:prefix(Dir, Path) end, system_dirs());
        _ -> false
    end.

system_dirs() ->
    Otp = code:lib_dir(),
    Elixir = [filename:dirname(D) || A <- ?ELIXIR_APPS, is_list(D = code:lib_dir(A))],
    lists:usort([Otp | Elixir]).

app_modules(App) ->
    case application:get_key(App, modules) of
        {ok, Mods} -> Mods;
        undefined ->
            _ = application:load(App),
            case application:get_key(App, modules) of
                {ok, Mods} -> Mods;
                undefined -> []
            end
    end.

%% Modules whose name starts with one of Prefixes: loaded ones plus .beam files on the non-system
%% part of the code path (so that lazily loaded Elixir modules are found before first use).
prefix_modules([]) -> [];
prefix_modules(Prefixes) ->
    Match = fun(Name) -> lists:any(fun(P) -> binary:longest_common_prefix([Name, P]) =:= byte_size(P) end,
                                   Prefixes) end,
    Loaded = [M || {M, _} <- code:all_loaded(), Match(atom_to_binary(M, utf8))],
    Sys = system_dirs(),
    OnDisk = [binary_to_atom(Name, utf8)
              || Dir <- code:get_path(), not lists:any(fun(S) -> lists:prefix(S, Dir) end, Sys),
                 {ok, Files} <- [file:list_dir(Dir)],
                 F <- Files, filename:extension(F) =:= ".beam",
                 Name <- [list_to_binary(filename:rootname(F))], Match(Name)],
    lists:usort(Loaded ++ OnDisk).

ensure_loaded(M) ->
    case code:ensure_loaded(M) of
        {module, M} -> true;
        _ -> false
    end.

%% Facts about a loaded module (see mod_info()).
-spec inspect(module()) -> mod_info().
inspect(M) ->
    Attrs = try M:module_info(attributes) catch _:_ -> [] end,
    Behaviours = lists:append([V || {K, V} <- Attrs, K =:= behaviour orelse K =:= behavior]),
    Functions = try M:module_info(functions) catch _:_ -> [] end,
    Kind = callback_kind(M, Behaviours, Functions),
    Loops = tail_loops(M) -- callbacks(),
    Md5 = try M:module_info(md5) catch _:_ -> <<>> end,
    Info = #{loops => Loops, callback_module => Kind =/= none, callback_kind => Kind, md5 => Md5,
             sentinel => none},
    Info#{sentinel => sentinel(M, #{})}.

%% The behaviour of M alone (inspect/1 without the rest): the encoders ask it for modules outside
%% the plan that a breakpoint stopped in.
-spec callback_kind(module()) -> callback_kind().
callback_kind(M) ->
    Attrs = try M:module_info(attributes) catch _:_ -> [] end,
    Functions = try M:module_info(functions) catch _:_ -> [] end,
    callback_kind(M, lists:append([V || {K, V} <- Attrs, K =:= behaviour orelse K =:= behavior]), Functions).

callback_kind(M, Behaviours, Functions) ->
    case lists:member(gen_statem, Behaviours) of
        true ->
            %% callback_mode/0 is a pure function by contract (it may add state_enter).
            Mode = try M:callback_mode() catch _:_ -> state_functions end,
            case Mode =:= handle_event_function orelse
                     (is_list(Mode) andalso lists:member(handle_event_function, Mode)) of
                true -> {gen_statem, handle_event_function};
                false -> {gen_statem, state_functions}
            end;
        false ->
            case lists:member(gen_server, Behaviours) orelse lists:member('Elixir.GenServer', Behaviours)
                orelse lists:member({handle_call, 3}, Functions) of
                true -> gen_server;
                false -> none
            end
    end.

%% A function of M that always carries one of our patterns: if it reads back as untraced, the
%% module was reloaded and lost them. Degraded functions (Degr keys) are avoided.
-spec sentinel(module(), #{mfa() => level()}) -> {atom(), arity()} | none.
sentinel(M, Degr) ->
    Functions = try M:module_info(functions) catch _:_ -> [] end,
    case [{F, A} || {F, A} <- Functions, not lists:member(F, ?NEVER),
                    not maps:is_key({M, F, A}, Degr)] of
        [S | _] -> S;
        [] -> none
    end.

%% Match specifications. exception_trace = return_trace + exception_from.
-spec ms_full() -> list().
ms_full() -> [{'_', [], [{exception_trace}]}].

%% init/1 of a traced module (a GenServer's start): besides call/return, the match spec switches on
%% message and process tracing for the calling process itself, synchronously, before init runs, so
%% a new GenServer's very first messages are recorded (the encoders' upgrade comes a few ms later).
-spec ms_init() -> list().
ms_init() -> [{'_', [], [{exception_trace}, {trace, [], [send, 'receive', procs, set_on_spawn]}]}].

-spec ms_call_only() -> list().
ms_call_only() -> [{'_', [], []}].

%% Sampling: the pattern matches only while this level's bit of the node's trace control word is
%% set; esc_trace_ctl flips the bits on a duty cycle, so the traced process itself skips the
%% event (no message is built) while its bit is off.
-spec ms_sampled(1..3, boolean()) -> list().
ms_sampled(Level, Loop) ->
    Bit = 1 bsl (Level - 1),
    Body = case Loop of true -> []; false -> [{exception_trace}] end,
    [{'_', [{'=/=', {'band', {get_tcw}, Bit}, 0}], Body}].

%% The match spec the engine itself gives MFA ([] = not recorded): what breakpoint patterns
%% (esc_bp_ms:match_specs/3) must end with so that recording stays as it is.
-spec base_ms(mfa(), #{module() => mod_info()}, #{mfa() => level() | {suspended, integer()}}) -> list().
base_ms({M, F, A} = MFA, Mods, Degr) ->
    case Mods of
        #{M := #{loops := Loops}} ->
            Loop = lists:member({F, A}, Loops),
            case {lists:member(F, ?NEVER), maps:get(MFA, Degr, full)} of
                {true, _} -> [];
                {false, {suspended, _}} -> [];
                {false, suspended} -> [];
                {false, full} when Loop -> ms_call_only();
                {false, full} when F =:= init, A =:= 1 -> ms_init();
                {false, full} -> ms_full();
                {false, Level} -> ms_sampled(Level, Loop)
            end;
        _ -> []
    end.

%% Sets every pattern of M from its info and its functions' degradation levels.
-spec set_module(module(), mod_info(), #{mfa() => level()}) -> ok.
set_module(M, #{loops := Loops}, Degr) ->
    _ = esc_tsess:function({M, '_', '_'}, ms_full(), [local]),
    _ = esc_tsess:function({M, init, 1}, ms_init(), [local]),
    [esc_tsess:function({M, F, '_'}, false, [local]) || F <- ?NEVER],
    [esc_tsess:function({M, F, A}, ms_call_only(), [local]) || {F, A} <- Loops],
    maps:foreach(fun({Mod, F, A}, Level) when Mod =:= M ->
                         set_level({M, F, A}, Level, lists:member({F, A}, Loops));
                    (_, _) -> ok
                 end, Degr),
    ok.

set_level(MFA, suspended, _Loop) -> esc_tsess:function(MFA, false, [local]);
set_level(MFA, Level, Loop) -> esc_tsess:function(MFA, ms_sampled(Level, Loop), [local]).

-spec clear_module(module()) -> ok.
clear_module(M) ->
    _ = (catch esc_tsess:function({M, '_', '_'}, false, [local])),
    ok.

%% Functions of M that lie on a cycle of tail calls (see the module doc). Needs M's object code;
%% without it (a module loaded from a binary only) nothing is detected.
-spec tail_loops(module()) -> [{atom(), arity()}].
tail_loops(M) ->
    try
        Bin = case code:get_object_code(M) of
                  {M, B, _} -> B;
                  error -> throw(none)
              end,
        {beam_file, M, _, _, _, Code} = beam_disasm:file(Bin),
        G = digraph:new(),
        try
            [begin
                 digraph:add_vertex(G, {F, A}),
                 [begin digraph:add_vertex(G, T), digraph:add_edge(G, {F, A}, T) end
                  || T <- tail_targets(M, Body)]
             end || {function, F, A, _, Body} <- Code],
            lists:usort(lists:append(digraph_utils:cyclic_strong_components(G)))
        after
            digraph:delete(G)
        end
    catch
        _:_ -> []
    end.

tail_targets(M, Body) ->
    [{F, A} || I <- Body, {M2, F, A} <- [tail_call(I)], M2 =:= M].

tail_call({call_only, _, {M, F, A}}) -> {M, F, A};
tail_call({call_last, _, {M, F, A}, _}) -> {M, F, A};
tail_call({call_ext_only, _, {extfunc, M, F, A}}) -> {M, F, A};
tail_call({call_ext_last, _, {extfunc, M, F, A}, _}) -> {M, F, A};
tail_call(_) -> none.
