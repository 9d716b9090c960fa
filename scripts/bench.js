#!/usr/bin/env node
// `npm run bench`: builds, runs every bench/*.bench.ts (each exports run(): Promise<BenchRow[]>) and
// prints one table: each figure with its baseline measured in the same run and the ratio.
const { execSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
process.chdir(root);
execSync('node scripts/check-prereqs.js', { stdio: 'inherit' });
require('./ensure-deps')(root);
execSync('npm run --silent build', { stdio: 'inherit' });
require('tsx/cjs');

const only = process.argv.slice(2);
const files = fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.bench.ts') && (only.length === 0 || only.some((o) => f.includes(o))));

const fmt = (v) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(3)).toString());

(async () => {
  const rows = [];
  for (const f of files) {
    process.stderr.write(`running bench/${f}…\n`);
    const mod = require(path.join(root, 'bench', f));
    for (const r of await mod.run()) rows.push({ suite: f.replace('.bench.ts', ''), ...r });
  }
  const table = rows.map((r) => ({
    suite: r.suite,
    measure: r.name,
    value: `${fmt(r.value)} ${r.unit}`,
    baseline: r.baseline ? `${fmt(r.baseline.value)} ${r.unit} (${r.baseline.name})` : '',
    ratio: r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '',
    note: r.note ?? '',
  }));
  const cols = ['suite', 'measure', 'value', 'baseline', 'ratio', 'note'];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...table.map((t) => String(t[c]).length))]));
  const line = (t) => cols.map((c) => String(t[c]).padEnd(width[c])).join(' │ ');
  console.log(line(Object.fromEntries(cols.map((c) => [c, c]))));
  console.log(cols.map((c) => '─'.repeat(width[c])).join('─┼─'));
  for (const t of table) console.log(line(t));
  fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench', 'results', 'latest.json'), JSON.stringify(rows, null, 2));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
