defmodule Bank.Application do
  # Supervision tree of the example: a registry, two accounts and the ledger they report to.
  use Application

  @impl true
  def start(_type, _args) do
    children = [
      {Registry, keys: :unique, name: Bank.Registry},
      Bank.Ledger,
      Supervisor.child_spec({Bank.Account, id: :a, balance: 100}, id: :account_a),
      Supervisor.child_spec({Bank.Account, id: :b, balance: 100}, id: :account_b)
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: Bank.Supervisor)
  end
end
