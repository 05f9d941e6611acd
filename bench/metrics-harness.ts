// A small timing harness for the metrics benchmarks: warm up, then several rounds of a
// fixed iteration count; the median ns/op resists GC pauses and the odd noisy round.

export interface Result {
  name: string;
  nsPerOp: number;
}

export function measure(name: string, iterations: number, fn: (n: number) => void, rounds = 7): Result {
  fn(Math.min(iterations, 200_000)); // warm-up: let the JIT optimise the loop body
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    fn(iterations);
    samples.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  samples.sort((a, b) => a - b);
  return { name, nsPerOp: samples[Math.floor(samples.length / 2)] as number };
}

/** Median wall time in ms of an async or sync job. */
export async function measureMs(fn: () => unknown, rounds = 9): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(cells[0] as string[]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

export function machine(): string {
  return `Node ${process.version}, ${process.platform}/${process.arch}, ${navigatorCores()} cores`;
}

function navigatorCores(): number {
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 0;
}
