# Runs the scripted workload: `mix run demo.exs [rounds]`.
rounds = case System.argv() do
  [n] -> String.to_integer(n)
  _ -> 3
end

Bank.Demo.run(rounds)
