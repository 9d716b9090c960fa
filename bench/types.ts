// One row of the `npm run bench` table: a figure, the baseline measured in the same run, their ratio.
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  ratio?: number;
  note?: string;
}
