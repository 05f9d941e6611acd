// `npm run bench`: every benchmark, one after the other, each printing its table with
// the machine, Node version and command. Timing lives here, never in `npm test`.
// Pass --write to also refresh the marked tables in docs/performance.md.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasWrk, WRK_MISSING } from './wrk.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const write = process.argv.includes('--write') ? ['--write'] : [];


const benches: { file: string; args: string[]; needs?: () => string | undefined }[] = [
  { file: 'bench/metrics-hotpath.ts', args: [] },
  { file: 'bench/metrics-render.ts', args: [] },
  { file: 'bench/metrics-render-openmetrics.ts', args: [] },
  { file: 'bench/startup.ts', args: write },
  { file: 'bench/http-throughput.ts', args: write, needs: () => (hasWrk() ? undefined : WRK_MISSING) },
  { file: 'bench/cluster-scrape.ts', args: write },
  { file: 'bench/cluster-throughput.ts', args: write, needs: () => (hasWrk() ? undefined : WRK_MISSING) },
];

let failed = false;
for (const bench of benches) {
  const missing = bench.needs?.();
  console.log(`\n=== ${bench.file}`);
  if (missing) {
    console.log(`not run: ${missing}`);
    failed = true;
    continue;
  }
  const { status } = spawnSync(process.execPath, [bench.file, ...bench.args], { cwd: root, stdio: 'inherit' });
  if (status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
