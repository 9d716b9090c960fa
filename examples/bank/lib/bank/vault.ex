defmodule Bank.Vault do
  # The bank's vault as a :gen_statem (state functions): :locked until the right code is given,
  # :open until it is locked again. Not started by the application; `mix run vault.exs` drives it.
  @behaviour :gen_statem

  def start_link(code), do: :gen_statem.start_link(__MODULE__, code, [])
  def unlock(vault, code), do: :gen_statem.call(vault, {:unlock, code})
  def lock(vault), do: :gen_statem.call(vault, :lock)

  @impl true
  def callback_mode, do: :state_functions

  @impl true
  def init(code), do: {:ok, :locked, %{code: code, failed: 0}}

  def locked({:call, from}, {:unlock, code}, data) do
    if code == data.code do
      {:next_state, :open, %{data | failed: 0}, [{:reply, from, :ok}]}
    else
      {:keep_state, %{data | failed: data.failed + 1}, [{:reply, from, {:error, :wrong_code}}]}
    end
  end

  def locked({:call, from}, :lock, _data), do: {:keep_state_and_data, [{:reply, from, :ok}]}

  def open({:call, from}, :lock, data), do: {:next_state, :locked, data, [{:reply, from, :ok}]}
  def open({:call, from}, {:unlock, _code}, _data), do: {:keep_state_and_data, [{:reply, from, :ok}]}
end
