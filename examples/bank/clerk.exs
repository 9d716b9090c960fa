# Drives Bank.Clerk (lib/bank/clerk.ex): notes, counts and reports handled by different
# handle_info clauses, then a call; the debugger's location tests run it.
{:ok, clerk} = Bank.Clerk.start_link()
send(clerk, {:note, "abc"})
send(clerk, :report)
send(clerk, {:note, "de"})
Process.sleep(50)
total = Bank.Clerk.total(clerk)
send(clerk, :report)
Process.sleep(50)
IO.puts("clerk finished: total=#{total}")
