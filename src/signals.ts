// SIGTERM/SIGINT: drain, flush, exit. The SDK never steals a signal from an app that
// handles it: if the app has a listener of its own, the SDK drains and flushes but
// leaves exiting to the app.
//
// signal-exit (v3 and v4, deep in many dependency trees) listens to every signal only to
// run exit callbacks, and re-raises only when its listeners are the sole ones left. Counted
// as "the app handles it", each would wait for the other and SIGTERM would end nothing. So
// its listeners are not the app's: the SDK exits, and signal-exit's callbacks run then.

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** `exiting`: the SDK will end the process afterwards (the app has no handler of its own). */
export type GracefulShutdown = (signal: NodeJS.Signals, exiting: boolean) => Promise<void>;

let installed: ((signal: NodeJS.Signals) => void) | undefined;

export function installSignalHandlers(shutdown: GracefulShutdown): void {
  if (installed) return;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const appHandlesIt = process.listenerCount(signal) - 1 - signalExitListeners() > 0;
    const exit = () => {
      removeSignalHandlers();
      // Re-raise so the process ends exactly as it would have without the SDK (status 128+n).
      if (!appHandlesIt) process.kill(process.pid, signal);
    };
    // A second Ctrl-C means "now": skip what is left of the drain.
    if (stopping) return exit();
    stopping = true;
    void shutdown(signal, !appHandlesIt).finally(exit);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  installed = onSignal;
}

export function removeSignalHandlers(): void {
  if (!installed) return;
  for (const signal of SIGNALS) process.removeListener(signal, installed);
  installed = undefined;
}

/** How many listeners per signal signal-exit has added (v4 keeps a global emitter, v3 one on process). */
function signalExitListeners(): number {
  const v4 = (globalThis as Record<symbol, { count?: unknown } | undefined>)[Symbol.for('signal-exit emitter')]?.count;
  const v3 = (process as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__?.count;
  return (typeof v4 === 'number' ? v4 : 0) + (typeof v3 === 'number' ? v3 : 0);
}
