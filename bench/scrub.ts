// Credential scrubbing on adversarial text (issue 16, defect 6): the median time of
// scrubText on 64 KB of each input that made the old patterns backtrack, and of
// scrubMessage (the capped path every check message takes) on the same input.
// Run: node bench/scrub.ts   (Node 24; not part of npm test or npm run bench)

import { scrubMessage, scrubText } from '../src/health/scrub.ts';
import { machine, measureMs, table } from './metrics-harness.ts';

const SIZE = Number(process.env.BENCH_SCRUB_BYTES ?? 65_536);
const UNITS = ['a.', 'a', 'token', 'a=', '://a', 'a: ', 'password=x ', 'eyJ', 'x-api-key: k '];

const rows: (string | number)[][] = [];
for (const unit of UNITS) {
  const text = unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
  const full = await measureMs(() => scrubText(text));
  const capped = await measureMs(() => scrubMessage(text));
  rows.push([JSON.stringify(unit), SIZE, full.toFixed(2), capped.toFixed(3)]);
}
console.log(`scrubbing adversarial text (${machine()})\n`);
console.log(table(['repeated', 'chars', 'scrubText ms', 'scrubMessage ms (capped)'], rows));
