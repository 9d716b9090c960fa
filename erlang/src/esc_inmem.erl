%% Modules compiled in memory from .exs files (ExUnit test files, scripts): their object code, kept
%% with its debug info, so breakpoints and line probes can be placed in them although no .beam exists.
%%
%% Why: ExUnit compiles test files in memory. The loaded code keeps no debug info and
%% code:get_object_code/1 has no file to read, so once such a module is loaded nothing can say which
%% clause sits on which line. A compilation tracer (Elixir's `:tracers` compiler option), installed at
%% launch as soon as Elixir runs, sees every module's bytecode as it is defined and keeps it for the
%% modules of .exs files (bounded: ?MAX_BYTES in total). Mix >= 1.15 compiles test files with
%% `debug_info: false` (Mix.Compilers.Test); the tracer turns debug info back on when an .exs file
%% starts compiling — it only costs the memory of our copy, the loaded code is the same.
%%
%% Timing: a breakpoint set before its test module exists is pending (esc_bp_set). It must be in place
%% before the module's code first runs, and ExUnit may start an `async: true` module's tests as soon
%% as the module registers itself, which it does in its @after_compile callback. So when a module
%% `use`s ExUnit.Case while breakpoints are pending, the tracer puts an @after_compile callback of ours
%% first in the module's list; it keeps the bytecode and places the pending breakpoints from the
%% compiling process, before ExUnit's callback registers the module. Other modules (a producer defined
%% inside a test module) are compiled before the test module's code can call them: the
%% {:on_module, Bytecode, _} event is early enough.
%%
%% A file still being compiled has only some of its modules loaded: esc_bp_resolve keeps a line that
%% no loaded module covers pending until the file's compilation ends (the tracer's `stop` event),
%% instead of moving it to a nearby line of another module.
%%
%% Everything here runs in the compiler's processes, never in the user's running code; the trace
%% function ignores every event but four, and never raises.
-module(esc_inmem).

-export([install/0, install/1, trace/2, after_compile/2, store/3, object_code/1, entries/0,
         compiling/1, clear/0]).

-define(T, esc_inmem).
-define(MAX_BYTES, 64 * 1024 * 1024).
-define(POLL_MS, 20).
-define(NUDGE_TIMEOUT_MS, 15000).

%% ------------------------------------------------------------------ installing

%% Launch: waits (in a short-lived process, up to 10 minutes) for Elixir to run, then adds the
%% tracer to the compiler options, before Mix compiles or loads anything of the project.
-spec install() -> ok.
install() ->
    _ = spawn(fun() -> wait_and_install(10 * 60 * 1000 div ?POLL_MS) end),
    ok.

wait_and_install(0) -> ok;
wait_and_install(Tries) ->
    case elixir_running() of
        true -> _ = install(now), ok;
        false -> timer:sleep(?POLL_MS), wait_and_install(Tries - 1)
    end.

elixir_running() ->
    is_pid(whereis(elixir_config)) andalso
        lists:keymember(elixir, 1, application:which_applications()) andalso
        erlang:function_exported('Elixir.Code', put_compiler_option, 2).

%% Adds the tracer now (Elixir must be running). Idempotent.
-spec install(now) -> ok | {error, term()}.
install(now) ->
    try
        _ = esc_bp_store:ensure(),
        Tracers = 'Elixir.Code':get_compiler_option(tracers),
        case lists:member(?MODULE, Tracers) of
            true -> ok;
            false -> 'Elixir.Code':put_compiler_option(tracers, Tracers ++ [?MODULE]), ok
        end
    catch
        C:E -> {error, {C, E}}
    end.

%% ------------------------------------------------------------------ the tracer

%% Elixir calls this for every compilation event, in the compiling process.
-spec trace(term(), map()) -> ok.
trace(start, #{file := File}) ->
    exs(File) andalso safe(fun() -> started(File) end),
    ok;
trace(stop, #{file := File}) ->
    exs(File) andalso safe(fun() -> stopped(File) end),
    ok;
trace({remote_macro, _, 'Elixir.ExUnit.Case', '__using__', 1}, #{file := File, module := M}) when M =/= nil ->
    exs(File) andalso safe(fun() -> hook(M) end),
    ok;
trace({on_module, Bin, _}, #{file := File, module := M}) when is_binary(Bin) ->
    exs(File) andalso safe(fun() -> defined(M, File, Bin) end),
    ok;
trace(_, _) ->
    ok.

%% Our @after_compile callback (see the header): runs before ExUnit's, which registers the module.
-spec after_compile(map(), binary()) -> ok.
after_compile(#{module := M, file := File}, Bin) ->
    _ = safe(fun() -> defined(M, File, Bin) end),
    ok.

exs(File) when is_binary(File) ->
    byte_size(File) > 4 andalso binary:part(File, byte_size(File) - 4, 4) =:= <<".exs">>;
exs(_) -> false.

safe(Fun) ->
    try Fun(), true
    catch _:_ -> false
    end.

started(File) ->
    table(),
    _ = ets:update_counter(?T, {compiling, File}, 1, {{compiling, File}, 0}),
    %% Mix >= 1.15 compiles test files without debug info unless told otherwise; we need it.
    case 'Elixir.Code':get_compiler_option(debug_info) of
        true -> ok;
        _ -> 'Elixir.Code':put_compiler_option(debug_info, true)
    end.

stopped(File) ->
    table(),
    case ets:update_counter(?T, {compiling, File}, -1, {{compiling, File}, 1}) of
        N when N =< 0 ->
            ets:delete(?T, {compiling, File}),
            %% Lines no module covered while the file compiled can be resolved now.
            nudge();
        _ -> ok
    end.

hook(M) ->
    case pending() of
        true -> 'Elixir.Module':put_attribute(M, after_compile, {?MODULE, after_compile});
        false -> ok
    end.

defined(M, File, Bin) ->
    case store(M, File, Bin) of
        new -> nudge();
        _ -> ok
    end.

%% ------------------------------------------------------------------ the store

%% Keeps Bin as M's object code (compiled from Source). new: kept now; same: kept already;
%% full: over the size bound, not kept.
-spec store(module(), binary(), binary()) -> new | same | full.
store(M, Source, Bin) ->
    table(),
    Old = case ets:lookup(?T, {mod, M}) of
              [{_, _, OldBin}] -> OldBin;
              [] -> <<>>
          end,
    case Old =:= Bin of
        true -> same;
        false ->
            Total = ets:update_counter(?T, bytes, byte_size(Bin) - byte_size(Old), {bytes, 0}),
            case Total > ?MAX_BYTES of
                true ->
                    _ = ets:update_counter(?T, bytes, byte_size(Old) - byte_size(Bin)),
                    ets:insert(?T, {{full, M}, Source}),
                    full;
                false ->
                    ets:insert(?T, {{mod, M}, unicode:characters_to_binary(Source), Bin}),
                    ets:delete(?T, {full, M}),
                    new
            end
    end.

%% The kept object code of M (the caller compares it with the loaded code), else why there is none.
-spec object_code(module()) -> {ok, binary()} | {error, not_kept | full | stale}.
object_code(M) ->
    case ets:info(?T) of
        undefined -> {error, not_kept};
        _ ->
            case ets:lookup(?T, {mod, M}) of
                [{_, _, Bin}] -> {ok, Bin};
                [] ->
                    case ets:member(?T, {full, M}) of
                        true -> {error, full};
                        false -> {error, not_kept}
                    end
            end
    end.

%% {Module, none, Source} for every kept module (the shape of esc_bp_resolve's source index).
-spec entries() -> [{module(), none, binary()}].
entries() ->
    case ets:info(?T) of
        undefined -> [];
        _ -> [{M, none, S} || [M, S] <- ets:match(?T, {{mod, '$1'}, '$2', '_'})]
    end.

%% True while Source (as the compiler names it) is being compiled.
-spec compiling(binary()) -> boolean().
compiling(Source) ->
    ets:info(?T) =/= undefined andalso ets:member(?T, {compiling, Source}).

%% Forgets every kept module (tests).
-spec clear() -> ok.
clear() ->
    table(),
    ets:delete_all_objects(?T),
    ok.

table() ->
    _ = esc_bp_store:ensure(),
    ?T.

%% ------------------------------------------------------------------ pending breakpoints

%% Are breakpoints waiting for a module (esc_bp_set rows {{bp, Id}, #{status := pending}})?
pending() ->
    case ets:info(esc_bp_set) of
        undefined -> false;
        _ -> ets:select(esc_bp_set, [{{{bp, '_'}, #{status => pending}}, [], [true]}], 1) =/= '$end_of_table'
    end.

%% Places pending breakpoints now, from the compiling process (bounded wait), so they are in place
%% before the module's code can run. In the recording engine's controller when it runs, as every
%% breakpoint change (esc_bp_set).
nudge() ->
    case pending() of
        false -> ok;
        true ->
            Fun = fun(Base) -> esc_bp_set:on_patterns([], Base) end,
            case whereis(esc_trace) of
                undefined -> Fun(fun(_) -> [] end);
                _ -> catch gen_server:call(esc_trace, {esc_bps, Fun}, ?NUDGE_TIMEOUT_MS)
            end,
            ok
    end.
