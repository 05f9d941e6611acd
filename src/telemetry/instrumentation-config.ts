// Per-instrumentation settings that differ from the package defaults, and why.

import type { IncomingMessage } from 'node:http';
import type { CatalogEntry } from './catalog.ts';

export interface InstrumentationContext {
  isOwnRequest: (req: IncomingMessage) => boolean;
  /** SERVER spans come from http-server-spans.ts (diagnostics channel), not from patching. */
  serverSpansFromChannel: boolean;
}

export function configFor(entry: CatalogEntry, context: InstrumentationContext): Record<string, unknown> {
  switch (entry.name) {
    case 'http':
      // Outgoing requests stay with the instrumentation (CLIENT spans, context injection).
      if (context.serverSpansFromChannel) return { disableIncomingRequestInstrumentation: true };
      return {
        // The SDK's own server (probes, /metrics) is not the app's traffic.
        ignoreIncomingRequestHook: (req: IncomingMessage) => {
          try {
            return context.isOwnRequest(req);
          } catch {
            return false;
          }
        },
      };
    case 'pino':
    case 'winston':
    case 'bunyan':
      // Keep trace ids in log lines, but don't turn logs into OTel log records: no logger
      // provider is installed here, and shipping logs is not this package's job.
      return { disableLogSending: true };
    default:
      return {};
  }
}
