// Standalone SVG of a range of sequence rows: the same drawing as on screen plus lifeline headers, with
// the current theme's colours resolved into an embedded stylesheet so the file looks right anywhere.
import { svg } from './dom';
import { drawRows, GUTTER_W, HEADER_H, LaneLayout, markerDefs, ROW_H } from './seqRender';
import { SeqModel } from './seqModel';
import { shorten } from './format';

function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

function exportStyle(): string {
  const c = (n: string, f: string) => themeColor(n, f);
  const bg = c('--es-bg', '#ffffff');
  const fg = c('--es-fg', '#333333');
  const muted = c('--es-muted', '#777777');
  const kinds: Array<[string, string]> = [['call', c('--es-call', '#3794ff')], ['reply', c('--es-reply', '#388a34')], ['cast', c('--es-cast', '#b180d7')], ['info', c('--es-info', '#777777')], ['spawn', c('--es-spawn', '#cca700')], ['exit', c('--es-exit', '#f14c4c')]];
  return [
    `svg{background:${bg};font-family:${c('--es-mono', 'monospace')};font-size:11px}`,
    `.lifeline{stroke:${muted};stroke-dasharray:4 4}`,
    `.lane-box{fill:${bg};stroke:${muted}}.lane-name{fill:${fg};font-size:11px}.lane-pid{fill:${muted};font-size:10px}`,
    `.time{fill:${muted};font-size:10px}.label{fill:${fg};paint-order:stroke;stroke:${bg};stroke-width:3px;stroke-linejoin:round}.rowbg,.hit{fill:none}`,
    `.activation{fill:${bg};stroke:${c('--es-call', '#3794ff')}}`,
    `.arrow{fill:none;stroke-width:1.5}.head.solid{stroke:none}.head.open{fill:none;stroke-width:1.5}`,
    `.k-reply .arrow,.k-info .arrow{stroke-dasharray:5 3}.k-spawn .arrow{stroke-dasharray:2 3}`,
    ...kinds.map(([k, col]) => `.k-${k} .arrow,.k-${k}.head.open,.k-${k} .exit-x{stroke:${col}}.k-${k}.head.solid,.k-${k} .spawned{fill:${col}}`),
    `.exit-x{stroke-width:2}`,
  ].join('\n');
}

export function toSvg(model: SeqModel, rows: readonly number[], first: number, last: number, layout: LaneLayout): string {
  const height = HEADER_H + (last - first) * ROW_H;
  const root = svg('svg', { xmlns: 'http://www.w3.org/2000/svg', width: layout.width, height, viewBox: `0 0 ${layout.width} ${height}` });
  root.append(svg('style', undefined, exportStyle()), markerDefs());
  const laneW = (layout.width - GUTTER_W) / Math.max(1, layout.lanes.length);
  layout.lanes.forEach((l, i) => {
    const x = layout.x.get(l.pid)!;
    // Name over pid, as in the view's header.
    const m = /^(.*?)\s*(<[^<>]*>)$/.exec(l.name);
    const name = m && m[1] ? m[1] : l.name;
    const pidText = m && m[1] ? m[2] : '';
    root.append(
      svg('rect', { class: 'lane-box', x: GUTTER_W + i * laneW + 6, y: 5, width: laneW - 12, height: HEADER_H - 12, rx: 3 }),
      svg('text', { class: 'lane-name', x, y: 18, 'text-anchor': 'middle' }, shorten(name, 28)),
      svg('text', { class: 'lane-pid', x, y: 32, 'text-anchor': 'middle' }, pidText),
    );
  });
  const body = svg('g', { transform: `translate(0 ${HEADER_H})` });
  drawRows(body, model, rows, first, last, layout, { cursor: -1, active: -1 });
  root.append(body);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(root)}\n`;
}
