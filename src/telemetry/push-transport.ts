// The HTTP transport of OTLP metrics push: one POST per push, no retries, and a periodic
// push never holds the process open.
//
// The stock transport retries a refused or failing push with backoff on ref'd timers for up
// to the export timeout, and its request keeps the event loop alive while a collector
// hangs. With a push interval shorter than the timeout (OTEL_METRIC_EXPORT_INTERVAL=5000,
// 10 s timeout), a push was always under way and a script that had finished never exited.
// Pushes are cumulative, so a retry is worth nothing: the next push carries everything the
// failed one did. So: one attempt, and the socket of a periodic push is unref()ed; only the
// final push of a shutdown or an explicit flush (`holdsProcess()` true) keeps the process up
// until it is delivered. Every request also ends by the export timeout (export-deadline.ts).

import { request as httpRequest } from 'node:http';
import type { IExporterTransport, ExportResponse } from '@opentelemetry/otlp-exporter-base';

export interface PushTransportOptions {
  url: string;
  headers: Record<string, string>;
  /** Whether this push may keep the process alive (the final one: shutdown, forceFlush). */
  holdsProcess: () => boolean;
}

/** The collector's answer, at most this much of it, is read (as the stock transport does). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export function createPushTransport({ url, headers, holdsProcess }: PushTransportOptions): IExporterTransport {
  const target = new URL(url);
  // node:https (and TLS) loaded only for an https collector: startup time matters.
  const request = target.protocol === 'https:' ? process.getBuiltinModule('node:https').request : httpRequest;
  return {
    send(data: Uint8Array): Promise<ExportResponse> {
      return new Promise((resolve) => {
        const req = request(target, { method: 'POST', headers: { ...headers, 'Content-Length': String(data.byteLength) } }, (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            resolve(status >= 200 && status < 300
              ? { status: 'success', data: Buffer.concat(chunks) }
              : { status: 'failure', error: new Error(`the collector answered ${status} ${res.statusMessage ?? ''}`.trim()) });
          });
          res.on('error', (error) => resolve({ status: 'failure', error }));
          // Settled already when it ended; otherwise cut off mid-answer.
          res.on('close', () => resolve({ status: 'failure', error: new Error('the connection closed before the answer ended') }));
        });
        req.on('socket', (socket) => {
          if (!holdsProcess()) socket.unref();
        });
        req.on('error', (error) => resolve({ status: 'failure', error }));
        req.end(data);
      });
    },
    shutdown() {},
  };
}
