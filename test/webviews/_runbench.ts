import { run } from '../../bench/webviews.bench';
run().then((rows) => console.table(rows.map((r) => ({ name: r.name, value: r.value.toFixed(1), base: `${r.baseline?.value.toFixed(1)} (${r.baseline?.name})`, ratio: r.ratio?.toFixed(2), note: r.note ?? '' }))));
