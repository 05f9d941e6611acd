// Node's default for an unhandled rejection is to crash (exit 1). Any 'unhandledRejection'
// listener, Sentry's included, turns that off. So Sentry only captures, and this handler
// restores Node's behaviour when the app has no listener of its own: print the error as
// Node would, flush what was captured (bounded), exit 1. An app with its own listener
// keeps full control; so does one started with --unhandled-rejections=warn/none.

let installed = false;

export function installFatalRejectionHandler(flush: () => Promise<unknown>): void {
  if (installed || !crashesByDefault()) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    // Sentry's listener and this one; anything more is the app's.
    if (process.listenerCount('unhandledRejection') > 2) return;
    process.stderr.write(`${describe(reason)}\n`);
    process.exitCode = 1;
    void flush().finally(() => process.exit(1));
  });
}

function crashesByDefault(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const mode = flags.find((flag) => flag.startsWith('--unhandled-rejections='))?.split('=')[1];
  return mode === undefined || mode === 'throw' || mode === 'strict';
}

function describe(reason: unknown): string {
  if (reason instanceof Error) return reason.stack ?? `${reason.name}: ${reason.message}`;
  try {
    return `Uncaught (in promise) ${typeof reason === 'string' ? reason : JSON.stringify(reason)}`;
  } catch {
    return 'Uncaught (in promise) a value that cannot be printed';
  }
}
