defmodule Bank.Account do
  # A bank account as a GenServer: its state changes on every operation, and a negative amount
  # raises inside the callback (the process crashes and its supervisor restarts it).
  use GenServer

  defstruct id: nil, balance: 0, ops: 0

  def start_link(opts) do
    id = Keyword.fetch!(opts, :id)
    GenServer.start_link(__MODULE__, opts, name: via(id))
  end

  def deposit(id, amount), do: GenServer.call(via(id), {:deposit, amount})
  def withdraw(id, amount), do: GenServer.call(via(id), {:withdraw, amount})
  def balance(id), do: GenServer.call(via(id), :balance)

  defp via(id), do: {:via, Registry, {Bank.Registry, {:account, id}}}

  @impl true
  def init(opts) do
    {:ok, %__MODULE__{id: Keyword.fetch!(opts, :id), balance: Keyword.get(opts, :balance, 0)}}
  end

  @impl true
  def handle_call({:deposit, amount}, _from, state) when amount > 0 do
    state = %{state | balance: state.balance + amount, ops: state.ops + 1}
    Bank.Ledger.record(state.id, :deposit, amount)
    {:reply, {:ok, state.balance}, state}
  end

  def handle_call({:withdraw, amount}, _from, %__MODULE__{balance: balance} = state)
      when amount > 0 and amount <= balance do
    fee = fee_for(amount)
    new_balance = balance - amount - fee
    state = %{state | balance: new_balance, ops: state.ops + 1}
    Bank.Ledger.record(state.id, :withdraw, amount)
    {:reply, {:ok, new_balance}, state}
  end

  def handle_call({:withdraw, amount}, _from, state) do
    if amount < 0, do: raise(ArgumentError, "negative withdrawal: #{amount}")
    {:reply, {:error, :insufficient_funds}, %{state | ops: state.ops + 1}}
  end

  def handle_call(:balance, _from, state), do: {:reply, state.balance, state}

  defp fee_for(amount) when amount >= 100, do: 1
  defp fee_for(_amount), do: 0
end
