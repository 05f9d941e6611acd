// wrk, as the HTTP benches run it: whether it is installed, and requests per second
// against a local port. Debian: apt-get install wrk (npm run setup:system).

import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

export const WRK_MISSING = 'wrk is not installed: apt-get install wrk';

export function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing; only a missing binary is ENOENT.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Ends the bench with exit 2 and the install line when wrk is missing. */
export function requireWrk(): void {
  if (hasWrk()) return;
  console.error(WRK_MISSING);
  process.exit(2);
}

/**
 * Requests per second of `wrk -t1 -c<connections> -d<seconds>s` on 127.0.0.1:<port>.
 * Asynchronous, so the bench process can do other work (scrape) while wrk runs.
 */
export async function wrk(port: number, seconds: number, connections: number): Promise<number> {
  const { stdout } = await promisify(execFile)('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`]);
  const match = stdout.match(/Requests\/sec:\s+([\d.]+)/);
  if (!match) throw new Error(`unexpected wrk output:\n${stdout}`);
  return Number(match[1]);
}
