// Every wait at shutdown has a deadline, and its timer is unref()ed so that the deadline
// itself never keeps the process alive.

export async function withDeadline(work: Promise<unknown>, ms: number, what: string, warn: (m: string) => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([work.then(() => 'done' as const), deadline]);
    if (outcome === 'timeout') warn(`${what} did not finish within ${ms} ms; giving up`);
  } catch (error) {
    warn(`${what} failed: ${describe(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  if (Array.isArray(error)) return error.map(describe).join('; ');
  return error instanceof Error ? error.message : String(error);
}
