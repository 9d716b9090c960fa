// One line saying what a recorded event is ("receive {:withdraw, 10}", "GenServer state v3 after
// handle_call"), for stop descriptions: when stepping lands on a message or a state version rather
// than on source code, the Debug pane still says where the cursor is.
import { formatMfa, Kind, type RecordingStore, type RecordingView } from '../store';
import { formatTerm } from '../terms/format';
import { shownVersion } from '../webview/stateVersions';

const SHORT = { maxLength: 60 };

/** Whose state a version is, as the user knows it: "GenServer" or "gen_statem" (from the agent's PROCESS event). */
export function stateOwner(behaviour: string | undefined): string {
  return behaviour === 'gen_statem' ? 'gen_statem' : 'GenServer';
}

export function eventSummary(store: RecordingStore, view: RecordingView, g: number): string {
  const ev = view.event(g);
  if (!ev) return 'an event that is no longer in the recording';
  const body = store.body(g);
  switch (ev.kind) {
    case Kind.CALL:
      return `call ${formatMfa(ev.mfa)}`;
    case Kind.RETURN:
      return `return from ${formatMfa(ev.mfa)}${body?.return?.value ? ` → ${formatTerm(body.return.value, SHORT)}` : ''}`;
    case Kind.EXCEPTION:
      return `exception in ${formatMfa(ev.mfa)}${body?.exception ? `: ${body.exception.class} ${formatTerm(body.exception.reason, SHORT)}` : ''}`;
    case Kind.LINE:
      return `line ${body?.line?.line ?? '?'} of ${formatMfa(ev.mfa)}`;
    case Kind.SEND:
      return `send ${body?.send ? `${formatTerm(body.send.message, SHORT)} to ${body.send.to}` : 'a message'}`;
    case Kind.RECEIVE:
      return `receive ${body?.receive ? formatTerm(body.receive.message, SHORT) : 'a message'}`;
    case Kind.STATE: {
      const s = body?.state;
      const owner = stateOwner(store.process(ev.pid)?.behaviour);
      return s ? `${owner} state v${shownVersion(s.version ?? 1)} after ${s.callback}${s.message ? ` ${formatTerm(s.message, SHORT)}` : ''}` : `${owner} state version`;
    }
    case Kind.SPAWN:
      return `spawn ${body?.spawn?.child ?? ''}`;
    case Kind.EXIT:
      return `exit ${body?.exit ? formatTerm(body.exit.reason, SHORT) : ''}`;
    default:
      return ev.kindName.toLowerCase();
  }
}
