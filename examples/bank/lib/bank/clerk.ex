defmodule Bank.Clerk do
  # A GenServer whose handle_info has several clauses (the first one for monitors, as is common):
  # `mix run clerk.exs` drives it, and the debugger's tests check that every stop in a callback
  # shows the clause that ran.
  use GenServer

  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, opts)
  def total(pid), do: GenServer.call(pid, :total)

  @impl true
  def init(_opts), do: {:ok, %{notes: [], total: 0}}

  @impl true
  def handle_info({:DOWN, _ref, :process, _pid, _reason}, state), do: {:noreply, state}

  def handle_info({:note, text}, state) do
    send(self(), {:count, String.length(text)})
    {:noreply, %{state | notes: [text | state.notes]}}
  end

  def handle_info({:count, n}, state) when n > 0 do
    {:noreply, %{state | total: state.total + n}}
  end

  def handle_info(:report, state) do
    send(self(), {:count, 1})
    {:noreply, state}
  end

  @impl true
  def handle_call(:total, _from, state), do: {:reply, state.total, state}
end
