// Every wait in the SDK is bounded; this is the one place that bounds it.

/**
 * Settles with `work`'s value, or with `onTimeout()` if `ms` pass first. `work` must
 * not reject. The timer is unref()ed: a pending deadline never keeps a process alive.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = setTimeout(() => resolve(onTimeout()), ms);
    timer.unref();
    void work.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Resolves after `ms` without holding the process open. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
