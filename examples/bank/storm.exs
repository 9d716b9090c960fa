# A burst of calls larger than the recording can keep: `mix run storm.exs [burst_ms] [linger_ms]`
# (linger: how long the program stays up after the burst, so the recording's recovery can be seen).
{ms, linger} = case System.argv() do
  [n, l] -> {String.to_integer(n), String.to_integer(l)}
  [n] -> {String.to_integer(n), 0}
  _ -> {1500, 0}
end

{:ok, before} = Bank.Account.deposit(:b, 7)
calls = Bank.Storm.run(ms)
{:ok, _} = Bank.Account.deposit(:b, 8)
IO.puts("storm finished: #{calls} deposits into :a (b was #{before})")
Process.sleep(linger)
