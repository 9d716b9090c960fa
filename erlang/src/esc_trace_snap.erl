%% Initial GenServer states: for processes that were already running when their callback module
%% became traced, reads the current state with sys:get_state/2 (200 ms timeout each) and hands it
%% to the encoder that owns the process, which records it as version 1 ("initial") unless a
%% callback return already produced a version. Runs in its own short-lived process, one process
%% at a time, so a slow or stuck GenServer never blocks the agent or the node.
-module(esc_trace_snap).

-export([start/3, run/3]).

-define(TIMEOUT_MS, 200).

%% CbMods: callback modules to look for; Encoders: the encoder pids (routing as the tracer does).
-spec start(#{module() => true}, [pid()], #{pid() => true}) -> pid().
start(CbMods, Encoders, Agent) ->
    spawn_opt(?MODULE, run, [CbMods, list_to_tuple(Encoders), Agent],
              [{message_queue_data, off_heap},
               {max_heap_size, #{size => 1000000, kill => true, error_logger => false}}]).

-spec run(#{module() => true}, tuple(), #{pid() => true}) -> ok.
run(CbMods, Encs, Agent) ->
    ok = esc_tsess:untrace_self(),
    receive go -> ok after 5000 -> ok end,
    Targets = [{P, M} || P <- processes(), not maps:is_key(P, Agent), P =/= self(),
                         M <- [callback_module(P)], maps:is_key(M, CbMods)],
    lists:foreach(fun({P, M}) ->
                          try sys:get_state(P, ?TIMEOUT_MS) of
                              State ->
                                  Ts = {erlang:monotonic_time(nanosecond), erlang:unique_integer([monotonic])},
                                  E = element(esc_trace_tracer:bucket(P, tuple_size(Encs)), Encs),
                                  E ! {esc_initial_state, P, M, State, Ts}
                          catch _:_ -> ok
                          end
                  end, Targets).

callback_module(P) ->
    case erlang:process_info(P, initial_call) of
        {initial_call, {proc_lib, init_p, 5}} ->
            case erlang:process_info(P, dictionary) of
                {dictionary, D} ->
                    case lists:keyfind('$initial_call', 1, D) of
                        {_, {M, init, 1}} -> M;
                        _ -> none
                    end;
                _ -> none
            end;
        _ -> none
    end.
