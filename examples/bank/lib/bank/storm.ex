defmodule Bank.Storm do
  # More calls than a recording can keep: the calling process and `workers` others deposit 1 into
  # account :a as fast as they can for `ms` milliseconds, so the agent drops or samples events (gaps
  # in the recording). Then it waits `settle_ms` so the agent catches up before run/3 returns.
  def run(ms \\ 1500, workers \\ 3, settle_ms \\ 1500) do
    deadline = System.monotonic_time(:millisecond) + ms
    tasks = for _ <- 1..workers, do: Task.async(fn -> burst(deadline, 0) end)
    mine = burst(deadline, 0)
    total = mine + Enum.sum(Enum.map(tasks, &Task.await(&1, :infinity)))
    Process.sleep(settle_ms)
    total
  end

  defp burst(deadline, n) do
    if System.monotonic_time(:millisecond) >= deadline do
      n
    else
      {:ok, _} = Bank.Account.deposit(:a, 1)
      burst(deadline, n + 1)
    end
  end
end
