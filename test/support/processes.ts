// OS-level checks for tests: which beam.smp processes exist, and waiting for them to go away.
import { execFileSync } from 'child_process';

/** PIDs of beam.smp processes whose command line contains `marker`. */
export function beamProcesses(marker: string): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out
    .split('\n')
    .filter((l) => l.includes('beam.smp') && l.includes(marker))
    .map((l) => parseInt(l.trim().split(/\s+/)[0], 10));
}

export async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
