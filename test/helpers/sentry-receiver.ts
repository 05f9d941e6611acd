// A local stand-in for Sentry's ingest: accepts envelopes (decoded with @sentry/core's
// own parser; Sentry sends them without a Content-Type and gzips large ones) and OTLP
// JSON traces at the path derived from the DSN. Listens on 127.0.0.1 only.

import { createServer, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { parseEnvelope } from '@sentry/core';

export interface ReceivedEvent {
  event_id?: string;
  level?: string;
  message?: string;
  environment?: string;
  release?: string;
  exception?: { values?: { type?: string; value?: string; mechanism?: { handled?: boolean; type?: string } }[] };
  contexts?: { trace?: { trace_id?: string; span_id?: string } };
  [key: string]: unknown;
}

export interface SentryReceiver {
  dsn: string;
  events: ReceivedEvent[];
  /** Raw OTLP/JSON trace export bodies received at the DSN-derived endpoint. */
  otlpBodies: unknown[];
  /** The request headers of those exports. */
  otlpHeaders: Record<string, string | string[] | undefined>[];
  requests: number;
  waitForEvents(count: number, timeoutMs?: number): Promise<ReceivedEvent[]>;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

export async function startSentryReceiver(): Promise<SentryReceiver> {
  const events: ReceivedEvent[] = [];
  const otlpBodies: unknown[] = [];
  const otlpHeaders: Record<string, string | string[] | undefined>[] = [];
  const receiver = { requests: 0 };
  const server = createServer(async (req, res) => {
    receiver.requests += 1;
    const data = await body(req);
    if (req.url?.includes('/integration/otlp/v1/traces')) {
      otlpBodies.push(JSON.parse(data.toString('utf8')));
      otlpHeaders.push(req.headers);
    } else if (req.url?.includes('/envelope/')) {
      const [, items] = parseEnvelope(new Uint8Array(data));
      for (const [header, payload] of items) {
        if (header.type === 'event') events.push(payload as ReceivedEvent);
      }
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    dsn: `http://public0key@127.0.0.1:${port}/42`,
    events,
    otlpBodies,
    otlpHeaders,
    get requests() { return receiver.requests; },
    async waitForEvents(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (events.length < count) throw new Error(`expected ${count} Sentry events, got ${events.length}`);
      return events;
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
