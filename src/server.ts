// The built-in observability server: plain node:http, separate from the app's own
// server so probes and scrapes work whatever framework the app uses. It never keeps a
// process alive by itself, and a busy port costs a warning, not the app.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { withDeadline } from './deadline.ts';
import { warn } from './warnings.ts';

export interface ObservabilityServer {
  readonly address: AddressInfo;
  /** The node:http server itself: its requests are the SDK's own traffic (src/http/incoming.ts). */
  readonly server: Server;
  /** Stops accepting, ends idle keep-alive connections at once and the rest within `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

export interface ServerOptions {
  port: number;
  host: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * A cluster worker binds the port itself instead of through the cluster primary (which
   * would share it round-robin between workers), and a busy port only means another worker
   * serves: no warning. See src/processes/topology.ts.
   */
  exclusiveQuiet?: boolean;
}

// Probes and scrapes are small and quick; these bound what a slow or hostile client may hold.
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
// Above Prometheus' default scrape interval (15 s) would pin sockets; below it, each scrape reconnects.
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const MAX_HEADER_BYTES = 16 * 1024;
// Node enforces the two timeouts above only when it sweeps connections, every 30 s by
// default: a slowloris client would hold a socket six times longer than headersTimeout says.
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

/** Listens, or warns once and resolves undefined when it can't (busy port, bad host). */
export function startObservabilityServer({ port, host, handler, exclusiveQuiet = false }: ServerOptions): Promise<ObservabilityServer | undefined> {
  const server = createServer({
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    maxHeaderSize: MAX_HEADER_BYTES,
    connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
  }, handler);
  server.on('connection', (socket: Socket) => {
    // A scraper's keep-alive connection must not hold the app open when it is done.
    socket.unref();
  });

  return new Promise((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (exclusiveQuiet && error.code === 'EADDRINUSE') return resolve(undefined);
      warn('OBS_PORT_BUSY', `observability server could not listen on ${host}:${port} (${error.code ?? error.message}); `
        + '/health and /metrics are not served, the app keeps running. '
        + 'Set OBSERVABILITY_PORT to a free port, or mount healthRouter on the app\'s server.');
      resolve(undefined);
    });
    server.listen({ port, host, exclusive: exclusiveQuiet }, () => {
      server.unref();
      server.on('error', (error: Error) => warn('OBS_SERVER_ERROR', `observability server error: ${error.message}`));
      resolve(handle(server));
    });
  });
}

function handle(server: Server): ObservabilityServer {
  return {
    address: server.address() as AddressInfo,
    server,
    close(graceMs = 1_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      return withDeadline(closed, graceMs, () => {
        server.closeAllConnections();
      });
    },
  };
}
