// Command identifiers contributed in package.json (a unit test checks both lists agree). No vscode import.

export const CommandIds = {
  openStateHistory: 'elixirScope.openStateHistory',
  openMessageSequence: 'elixirScope.openMessageSequence',
  emergencyStop: 'elixirScope.emergencyStop',
  debugTestAtCursor: 'elixirScope.debugTestAtCursor',
} as const;
