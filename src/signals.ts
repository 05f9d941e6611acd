// SIGTERM/SIGINT: drain, flush, exit. The SDK never steals a signal from an app that
// handles it: if the app has a listener of its own, the SDK drains and flushes but
// leaves exiting to the app.

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** `exiting`: the SDK will end the process afterwards (the app has no handler of its own). */
export type GracefulShutdown = (signal: NodeJS.Signals, exiting: boolean) => Promise<void>;

let installed: ((signal: NodeJS.Signals) => void) | undefined;

export function installSignalHandlers(shutdown: GracefulShutdown): void {
  if (installed) return;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const appHandlesIt = process.listenerCount(signal) > 1;
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
