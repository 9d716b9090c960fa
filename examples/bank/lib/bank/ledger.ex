defmodule Bank.Ledger do
  # Receives a cast for every account operation and keeps a bounded journal.
  use GenServer

  def start_link(_opts), do: GenServer.start_link(__MODULE__, [], name: __MODULE__)

  def record(account, kind, amount), do: GenServer.cast(__MODULE__, {:record, account, kind, amount})
  def entries, do: GenServer.call(__MODULE__, :entries)

  @impl true
  def init(entries), do: {:ok, %{entries: entries, count: 0}}

  @impl true
  def handle_cast({:record, account, kind, amount}, state) do
    entry = {account, kind, amount}
    {:noreply, %{state | entries: Enum.take([entry | state.entries], 50), count: state.count + 1}}
  end

  @impl true
  def handle_call(:entries, _from, state), do: {:reply, Enum.reverse(state.entries), state}
end
