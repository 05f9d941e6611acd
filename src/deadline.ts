// Every wait in the SDK is bounded; this is the one place that bounds it.
//
// These timers are deliberately NOT unref()ed: someone awaits their outcome, and an
// unref()ed timer would let the process exit in the middle of that await (a script
// awaiting runAll() on a hung check would vanish silently). Being bounded, they hold a
// process for at most `ms`. Background timers elsewhere are unref()ed.

/**
 * Settles with `work`'s value, or with `onTimeout()` if `ms` pass first. `work` must not reject.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = setTimeout(() => resolve(onTimeout()), ms);
    void work.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
