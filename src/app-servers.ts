// The app's own HTTP servers, as seen on node:diagnostics_channel. When the SDK is the one
// ending the process on SIGTERM, it closes them after the drain (no new requests, in-flight
// ones finish) and only then flushes: otherwise every request served while the final flush
// runs would lose its span and its Sentry event. Without the SDK the signal would have
// killed those requests outright, so this only makes the exit more graceful.

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Server } from 'node:http';
import { withDeadline } from './deadline.ts';

const CHANNEL = 'http.server.request.start';
const seen = new Set<Server>();
const onRequestStart = (message: unknown): void => {
  const { server } = message as { server?: Server };
  if (server) seen.add(server);
};

/** Starts remembering servers that serve requests; returns the function that stops it. */
export function watchAppServers(): () => void {
  subscribe(CHANNEL, onRequestStart);
  return () => {
    unsubscribe(CHANNEL, onRequestStart);
    seen.clear();
  };
}

/** Stops the app's servers from accepting and waits, at most `ms`, for their requests to finish. */
export async function closeAppServers(isOwn: (server: Server) => boolean, ms: number): Promise<void> {
  const closing = [...seen].filter((server) => server.listening && !isOwn(server)).map((server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }));
  if (closing.length > 0) await withDeadline(Promise.all(closing).then(() => undefined), ms, () => undefined);
}
