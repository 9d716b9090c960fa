defmodule Bank.AccountTest do
  use ExUnit.Case

  test "deposit raises the balance" do
    before = Bank.Account.balance(:a)
    assert {:ok, balance} = Bank.Account.deposit(:a, 5)
    assert balance == before + 5
  end
end
