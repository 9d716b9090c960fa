// Process names as the views show them: registered name → pid (for sends by name whose receive was not
// recorded), and pid → the process's name in the recording.
import type { RecordingStore } from './recordingStore';

/** Registered name → pid, kept from the store's process metadata (for sends by name whose receive was not recorded). */
export class RegisteredNames {
  private readonly byName = new Map<string, string>();
  constructor(store: RecordingStore) {
    for (const p of store.interner.procs) if (p && p.registeredName && !p.released) this.byName.set(p.registeredName, p.pid);
    store.on('process', (p) => {
      if (p.registeredName) this.byName.set(p.registeredName, p.pid);
    });
  }
  pidOf(name: string): string | undefined {
    return this.byName.get(name);
  }
}

/** The recorded name of the process `pid`, or the pid itself when it is not in the recording. */
export function nameOfPid(store: RecordingStore, pid: string): string {
  const id = store.pidId(pid);
  return id === undefined ? pid : store.process(id).name;
}
