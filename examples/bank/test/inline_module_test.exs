defmodule Bank.InlineModuleTest do
  use ExUnit.Case

  # A module defined inside a test file: it exists only in memory, compiled when ExUnit loads this file.
  defmodule Tally do
    use GenServer

    def start_link(start), do: GenServer.start_link(__MODULE__, start)
    def add(pid, n), do: GenServer.call(pid, {:add, n})

    @impl true
    def init(start), do: {:ok, start}

    @impl true
    def handle_call({:add, n}, _from, total) when is_integer(n) do
      total = total + n
      {:reply, total, total}
    end
  end

  test "a module defined in a test file keeps a running total" do
    {:ok, pid} = Tally.start_link(10)
    first = Tally.add(pid, 5)
    second = Tally.add(pid, 7)
    assert second == first + 7
  end
end
