// Status bar item showing how the current session records (events/s, kept, dropped, sampled), fed by
// the adapter's elixirScope.stats event; a click opens the state history.
import * as vscode from 'vscode';
import { CustomEvents, parseStatsBody, type StatsEventBody } from '../adapter/protocol/customDap';
import { CommandIds } from './commandIds';
import type { ScopeSessions } from './sessions';

/** 1234 → "1.2k", 2500000 → "2.5M": the item must stay short. */
export function compactCount(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${Math.round(n / 1e3)}k`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

const MODE_LOOK: Record<StatsEventBody['mode'], { icon: string; background?: string; label: string }> = {
  full: { icon: '$(record)', label: 'recording every matching event' },
  sampling: { icon: '$(warning)', background: 'statusBarItem.warningBackground', label: 'sampling: the event rate limit was reached' },
  suspended: { icon: '$(warning)', background: 'statusBarItem.warningBackground', label: 'the noisiest functions are suspended: the event rate limit was exceeded' },
  stopped: { icon: '$(circle-slash)', background: 'statusBarItem.errorBackground', label: 'recording stopped' },
};

const ENDED_LOOK = { icon: '$(debug-stop)', background: undefined, label: 'the program ended; its recording stays available until the session stops' };

export class RecordingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('elixirScope.recording', vscode.StatusBarAlignment.Left, 50);
  private readonly stats = new Map<string, StatsEventBody>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly sessions: ScopeSessions) {
    this.item.name = 'ElixirScope Recording';
    this.item.command = CommandIds.openStateHistory;
    this.subscriptions = [
      this.item,
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.event !== CustomEvents.stats) return;
        const body = parseStatsBody(e.body);
        if (!body) return;
        this.stats.set(e.session.id, body);
        this.render();
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        if (this.stats.delete(s.id)) this.render();
      }),
      sessions.onDidChange(() => this.render()),
    ];
  }

  private render(): void {
    const session = this.sessions.current();
    const s = session && this.stats.get(session.id);
    if (!session || !s) {
      this.item.hide();
      return;
    }
    // A program that ended is not a problem: the recording stays to be explored.
    const look = s.ended ? ENDED_LOOK : MODE_LOOK[s.mode];
    this.item.text =
      `${look.icon} ${compactCount(s.eventsPerSecond)} ev/s · ${compactCount(s.eventsKept)} kept` +
      (s.dropped > 0 ? ` · ${compactCount(s.dropped)} dropped` : '') +
      (s.sampled > 0 ? ` · ${compactCount(s.sampled)} sampled` : '');
    this.item.backgroundColor = look.background ? new vscode.ThemeColor(look.background) : undefined;
    this.item.tooltip = new vscode.MarkdownString(
      [
        `**ElixirScope — ${session.name}**: ${look.label}`,
        '',
        `- ${s.eventsPerSecond.toLocaleString()} events/s`,
        `- ${s.eventsKept.toLocaleString()} events kept`,
        `- ${s.dropped.toLocaleString()} dropped (recording limits, safety limits)`,
        `- ${s.sampled.toLocaleString()} skipped by sampling`,
        '',
        'Click to open the state history.',
      ].join('\n'),
    );
    this.item.show();
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
