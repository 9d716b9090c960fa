# A burst of calls larger than the recording can keep: `mix run storm.exs [burst_ms]`.
ms = case System.argv() do
  [n] -> String.to_integer(n)
  _ -> 1500
end

{:ok, before} = Bank.Account.deposit(:b, 7)
calls = Bank.Storm.run(ms)
{:ok, _} = Bank.Account.deposit(:b, 8)
IO.puts("storm finished: #{calls} deposits into :a (b was #{before})")
