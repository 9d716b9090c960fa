// Start-up check of the "trace" patterns against what the agent records: a pattern that matches no
// module (a typo, a module not compiled) would otherwise record nothing without a word.
import { errorNotice, Errors } from '../errors';
import { tracePatterns } from './mixProject';

/** The patterns, as written, that match none of `recorded` (the agent's ConfigureResult.modules). */
export function unmatchedTracePatterns(patterns: string[], recorded: string[]): string[] {
  return patterns.filter((pattern) => {
    const { modules, prefixes } = tracePatterns([pattern]);
    return !recorded.some((m) => modules.includes(m) || prefixes.some((p) => m.startsWith(p)));
  });
}

/** One Debug Console line per pattern that matches no recorded module. */
export function unmatchedTraceWarnings(patterns: string[], recorded: string[]): string[] {
  return unmatchedTracePatterns(patterns, recorded).map(
    (pattern) => errorNotice(Errors.traceMatchesNothing, { pattern }),
  );
}
