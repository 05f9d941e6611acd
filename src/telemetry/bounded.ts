// Telemetry's waits at flush and shutdown: bounded by the shared deadline, and reported
// (timed out, or failed) as one warning instead of a rejection the caller must handle.

import { withDeadline } from '../deadline.ts';

export async function withDeadlineWarned(work: Promise<unknown>, ms: number, what: string, warn: (m: string) => void): Promise<void> {
  const settled = work.then(() => 'done' as const, (error: unknown) => {
    warn(`${what} failed: ${describe(error)}`);
    return 'failed' as const;
  });
  if (await withDeadline(settled, ms, () => 'timeout' as const) === 'timeout') {
    warn(`${what} did not finish within ${ms} ms; giving up`);
  }
}

function describe(error: unknown): string {
  if (Array.isArray(error)) return error.map(describe).join('; ');
  return error instanceof Error ? error.message : String(error);
}
