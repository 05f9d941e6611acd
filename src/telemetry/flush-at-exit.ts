// A script that ends on its own (no SIGTERM, no shutdown call) would lose its last spans:
// the batch processor's timer is unref()ed so it never holds a process open, and the
// batch is still waiting for its schedule when the event loop empties. On 'beforeExit'
// the spans ended since the last such flush are flushed; the flush's request keeps the
// loop alive until it is done, then 'beforeExit' comes again and, nothing new having
// ended, the process exits as it would have.
//
// A collector that is down or hung must not hold the script: the OTLP exporter retries a
// refused connection with backoff on ref'd timers for up to OTEL_EXPORTER_OTLP_TIMEOUT
// (10 s by default). So the exit flush gets EXIT_FLUSH_MS at most; if the spans are not
// delivered by then, the process exits with its own exit code instead of waiting for the
// retries. The loop was empty when 'beforeExit' came, so what is cut is the exporter's.

import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { withDeadline } from '../deadline.ts';

/** The longest a script that ended on its own waits for its last spans to be delivered. */
export const EXIT_FLUSH_MS = 2_000;

export interface FlushAtExit {
  /** Goes with the export processors: counts the spans that end. */
  readonly counter: SpanProcessor;
  /** Stops listening for 'beforeExit' (shutdown flushes everything anyway). */
  stop(): void;
}

/** `flush` resolves true when everything pending was delivered. */
export function flushAtExit(flush: () => Promise<boolean>, boundMs: number): FlushAtExit {
  let ended = 0;
  let flushedUpTo = 0;
  const onBeforeExit = (): void => {
    if (ended === flushedUpTo) return;
    flushedUpTo = ended;
    void withDeadline(flush(), boundMs, () => false).then((delivered) => {
      if (!delivered) process.exit();
    });
  };
  process.on('beforeExit', onBeforeExit);
  return {
    counter: {
      onStart(_span: Span, _context: Context): void {},
      onEnd(_span: ReadableSpan): void {
        ended++;
      },
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    },
    stop: () => { process.removeListener('beforeExit', onBeforeExit); },
  };
}
