%% Fixtures for the esc_bp* tests and the probe benchmark: Elixir on the code path, the example
%% project's ebin (compiled with `mix compile` when missing), and small fixture modules compiled
%% into a temporary folder (Elixir via elixirc, Erlang via compile:file), with and without debug
%% info. Everything is compiled once per node.
-module(esc_bp_fixture).

-export([setup/0, bank_ebin/0, bank_source/1, dir/0, ex_file/0, erl_file/0, nodbg_erl_file/0,
         nodbg_ex_file/0, start_account/2, traced_calls/4, ensure_elixir/0]).

-define(EX, "defmodule EscFx.Outer do
  def outer(x), do: x + 1

  defmodule Inner do
    def inner(a, b \\\\ 2) do
      c = a * b

      c + 1
    end
  end
end

defmodule EscFx.Second do
  def pick(:a), do: 1
  def pick(n) when is_integer(n) do
    helper(n) * 2
  end

  defp helper(n) do
    n + 10
  end
end

defprotocol EscFx.Size do
  def size(data)
end

defimpl EscFx.Size, for: Map do
  def size(map), do: map_size(map)
end
").

-define(ERL, "-module(esc_fx_erl).
-export([f/1]).

f({ok, X}) ->
    Y = X + 1,
    Y * 2;
f(_) ->
    error.
").

-define(NODBG_ERL, "-module(esc_fx_nodbg).
-export([g/1]).
g(X) ->
    X + 1.
").

-define(NODBG_EX, "defmodule EscFx.NoDebug do
  def h(x) do
    x * 3
  end
end
").

%% Root of the repository: erlang/test-ebin/../.., else the current directory.
root() ->
    {ok, Cwd} = file:get_cwd(),
    Cands = [filename:dirname(filename:dirname(filename:dirname(code:which(?MODULE)))), Cwd],
    case [R || R <- Cands, filelib:is_regular(filename:join(R, "examples/bank/mix.exs"))] of
        [R | _] -> R;
        [] -> Cwd
    end.

-spec dir() -> string().
dir() -> "/tmp/esc_bp_fixtures_" ++ os:getpid().

-spec ex_file() -> string().
ex_file() -> filename:join(dir(), "esc_fx.ex").
-spec erl_file() -> string().
erl_file() -> filename:join(dir(), "esc_fx_erl.erl").
-spec nodbg_erl_file() -> string().
nodbg_erl_file() -> filename:join(dir(), "esc_fx_nodbg.erl").
-spec nodbg_ex_file() -> string().
nodbg_ex_file() -> filename:join(dir(), "esc_fx_nodebug.ex").

-spec bank_ebin() -> string().
bank_ebin() -> filename:join(root(), "examples/bank/_build/dev/lib/bank/ebin").

-spec bank_source(string()) -> binary().
bank_source(Name) -> list_to_binary(filename:join([root(), "examples/bank/lib/bank", Name])).

%% Idempotent: Elixir + bank ebin on the code path, fixtures compiled.
-spec setup() -> ok.
setup() ->
    case get_flag() of
        true -> ok;
        false ->
            ensure_elixir(),
            ensure_bank(),
            ensure_fixtures(),
            persistent_term:put(esc_bp_fixture_ready, true),
            ok
    end.

get_flag() -> persistent_term:get(esc_bp_fixture_ready, false).

%% Elixir's modules on the code path and its application started (for tests that evaluate Elixir).
-spec ensure_elixir() -> ok.
ensure_elixir() ->
    case code:ensure_loaded('Elixir.Code') of
        {module, _} -> ok;
        _ ->
            Lib = string:trim(os:cmd("elixir -e 'IO.write(:code.lib_dir(:elixir))'")),
            true = code:add_pathz(filename:join(Lib, "ebin")),
            {module, _} = code:ensure_loaded('Elixir.Code'),
            ok
    end,
    {ok, _} = application:ensure_all_started(elixir),
    ok.

ensure_bank() ->
    Ebin = bank_ebin(),
    case filelib:is_regular(filename:join(Ebin, "Elixir.Bank.Account.beam")) of
        true -> ok;
        false ->
            Out = os:cmd("cd " ++ filename:join(root(), "examples/bank") ++ " && mix compile 2>&1"),
            filelib:is_regular(filename:join(Ebin, "Elixir.Bank.Account.beam")) orelse error({mix_compile, Out})
    end,
    code:add_pathz(Ebin),
    ok.

ensure_fixtures() ->
    D = dir(),
    ok = filelib:ensure_dir(filename:join(D, "x")),
    ok = file:write_file(ex_file(), ?EX),
    ok = file:write_file(erl_file(), ?ERL),
    ok = file:write_file(nodbg_erl_file(), ?NODBG_ERL),
    ok = file:write_file(nodbg_ex_file(), ?NODBG_EX),
    {ok, esc_fx_erl} = compile:file(erl_file(), [debug_info, {outdir, D}]),
    {ok, esc_fx_nodbg} = compile:file(nodbg_erl_file(), [{outdir, D}]),
    %% Elixir fixtures: compiled in this node through Kernel.ParallelCompiler.
    {ok, _, _} = 'Elixir.Kernel.ParallelCompiler':compile_to_path([list_to_binary(ex_file())], list_to_binary(D), []),
    Opts = 'Elixir.Code':compiler_options(),
    'Elixir.Code':compiler_options([{debug_info, false}]),
    try
        {ok, _, _} = 'Elixir.Kernel.ParallelCompiler':compile_to_path([list_to_binary(nodbg_ex_file())],
                                                                        list_to_binary(D), [])
    after
        'Elixir.Code':compiler_options(maps:to_list(maps:with([debug_info], Opts)))
    end,
    code:add_pathz(D),
    ok.

%% A Bank.Account GenServer (no registry needed: it is started directly, not via its name).
-spec start_account(atom(), integer()) -> pid().
start_account(Id, Balance) ->
    {ok, Pid} = gen_server:start('Elixir.Bank.Account', [{id, Id}, {balance, Balance}], []),
    Pid.

%% Runs Calls against a fresh account (Id, Balance) with the breakpoints' pattern on handle_call/3
%% and returns the replies and the call trace messages received (tracer = the calling process).
-spec traced_calls(atom(), integer(), list(), list()) -> {list(), [tuple()]}.
traced_calls(Id, Balance, Prepared, Calls) ->
    HC = {'Elixir.Bank.Account', handle_call, 3},
    Pid = start_account(Id, Balance),
    1 = erlang:trace_pattern(HC, esc_bp_ms:match_specs(Prepared, HC, []), [local]),
    1 = erlang:trace(Pid, true, [call]),
    try
        Replies = [gen_server:call(Pid, C) || C <- Calls],
        %% A synchronous call after the last one: every trace message is in our mailbox now.
        _ = sys:get_state(Pid),
        {Replies, drain_calls()}
    after
        erlang:trace_pattern(HC, false, [local]),
        catch erlang:trace(Pid, false, [call]),
        exit(Pid, kill)
    end.

drain_calls() ->
    receive {trace, _, call, _, _} = M -> [M | drain_calls()];
            {trace, _, call, _} = M -> [M | drain_calls()]
    after 0 -> []
    end.
