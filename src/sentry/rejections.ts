// Unhandled rejections are captured without changing what Node does with them.
//
// For Node, any 'unhandledRejection' listener means "handled": a listener of the SDK's
// (Sentry's own integration included) would turn off the default crash, the exit code of
// --unhandled-rejections=warn-with-error-code, and the call of the app's
// 'uncaughtException' handler with origin 'unhandledRejection'. Re-creating those rules by
// hand for every mode went wrong twice. So there is no listener: the capture observes the
// process.emit('unhandledRejection', …) that Node makes in every mode except strict (where
// the rejection is raised as an uncaught exception first, and Sentry's uncaught-exception
// handler captures it), and returns what Node's own emit returned. Whatever follows is
// Node's: the crash (Sentry's uncaught-exception handler flushes first; its Dedupe
// integration drops the repeat of the same error), the app's handlers, the warning, the
// exit code.
//
// One rule needs help. In strict mode Node raises the rejection as an uncaught exception
// and, with no 'uncaughtException' handler, dies before emitting 'unhandledRejection'.
// Sentry's uncaught-exception handler keeps the process alive long enough to flush, so
// Node goes on to emit the event: then the observer stops it there, as the crash would
// have, and the process ends with Sentry's exit 1.

type Emit = typeof process.emit;

let observing: { original: Emit } | undefined;

/** Starts observing; `capture` must not throw (it runs inside Node's rejection processing). */
export function observeUnhandledRejections(capture: (reason: unknown, promise: unknown) => void): void {
  if (observing) return;
  const original = process.emit;
  observing = { original };
  const strict = unhandledRejectionsMode(process.execArgv, process.env.NODE_OPTIONS ?? '') === 'strict';
  process.emit = function emit(this: NodeJS.Process, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'unhandledRejection') {
      // Already captured as the uncaught exception that is ending the process; "handled", so no warning either.
      if (strict && !appHandlesUncaughtExceptions()) return true;
      try {
        capture(args[0], args[1]);
      } catch {
        // Observability never changes the outcome of the app's error.
      }
    }
    return (original as (event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args);
  } as Emit;
}

/** --unhandled-rejections from the command line, else NODE_OPTIONS (which the command line overrides); 'throw' when unset. */
export function unhandledRejectionsMode(execArgv: readonly string[], nodeOptions: string): string {
  return lastMode(execArgv) ?? lastMode(nodeOptions.split(/\s+/)) ?? 'throw';
}

function lastMode(flags: readonly string[]): string | undefined {
  let mode: string | undefined;
  flags.forEach((flag, i) => {
    if (flag.startsWith('--unhandled-rejections=')) mode = flag.slice('--unhandled-rejections='.length);
    else if (flag === '--unhandled-rejections') mode = flags[i + 1];
  });
  return mode;
}

/** Whether a handler other than Sentry's own (tagged `_errorHandler`, as Sentry itself tells them apart) catches uncaught exceptions. */
function appHandlesUncaughtExceptions(): boolean {
  return process.listeners('uncaughtException').some((listener) =>
    listener.name !== 'domainUncaughtExceptionClear' && (listener as { _errorHandler?: boolean })._errorHandler !== true);
}
