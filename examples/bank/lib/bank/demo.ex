defmodule Bank.Demo do
  # The scripted workload the demo and the tests debug: deposits, withdrawals (one of them too
  # large, one negative so that an account crashes) and a final balance check, from one process.
  def run(rounds \\ 3, pause_ms \\ 20) do
    for round <- 1..rounds do
      {:ok, _} = Bank.Account.deposit(:a, 10 * round)
      amount = 5 * (rem(round - 1, 10) + 1)
      {:ok, _} = Bank.Account.withdraw(:b, amount)
      {:ok, _} = Bank.Account.deposit(:b, amount)
      Process.sleep(pause_ms)
    end

    {:error, :insufficient_funds} = Bank.Account.withdraw(:a, 1_000_000)
    crash = catch_exit(fn -> Bank.Account.withdraw(:b, -1) end)
    Process.sleep(pause_ms)
    summary = %{a: Bank.Account.balance(:a), b: Bank.Account.balance(:b), crash: crash}
    IO.puts("demo finished: a=#{summary.a} b=#{summary.b} entries=#{length(Bank.Ledger.entries())}")
    summary
  end

  defp catch_exit(fun) do
    fun.()
  catch
    :exit, {{%ArgumentError{message: message}, _stack}, _call} -> {:crashed, message}
  end
end
