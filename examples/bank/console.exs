# Drives the vault and one round of the accounts, then stays up for a minute so that the Debug Console
# can evaluate on the live node at the recorded hits: `mix run console.exs`.
{:ok, vault} = Bank.Vault.start_link(1234)
{:error, :wrong_code} = Bank.Vault.unlock(vault, 1111)
Bank.Demo.run(1)
IO.puts("console workload finished")
Process.sleep(60_000)
