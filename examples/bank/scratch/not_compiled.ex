# A source file outside lib/: Mix never compiles it, so a breakpoint here cannot be placed
# (the tests check that the debugger says so instead of pretending).
defmodule Bank.Scratch do
  def idea(x), do: x * 2
end
