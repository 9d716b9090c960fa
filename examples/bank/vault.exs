# Drives the vault (a :gen_statem): `mix run vault.exs`.
{:ok, vault} = Bank.Vault.start_link(1234)
{:error, :wrong_code} = Bank.Vault.unlock(vault, 1111)
:ok = Bank.Vault.unlock(vault, 1234)
:ok = Bank.Vault.lock(vault)
{:error, :wrong_code} = Bank.Vault.unlock(vault, 4321)
IO.puts("vault finished")
