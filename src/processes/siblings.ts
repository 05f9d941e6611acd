// Cluster workers whose primary does not run the SDK: PM2's daemon in cluster mode, or a
// node:cluster primary started without the preload. Nobody above them gathers, so they
// elect one of themselves: the first to bind OBSERVABILITY_PORT exclusively serves it
// (src/server.ts), and opens a local socket; the others connect to it and report as they
// would to a primary (hub.ts), so its /metrics and /health cover all of them. When the
// serving one goes, the others try the port again: one of them takes over.
//
// The socket: `<tmpdir>/wizamart-obs-<parent pid>-<port>.sock`, mode 0600. Siblings share
// their parent (PM2's daemon, or the primary) and the port; nothing else does. Messages are
// the ObsMessage objects of messages.ts, one JSON document per line.

import { chmodSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answer, createHub, type Hub, type HubOptions, type ReporterOptions } from './hub.ts';
import { isObsMessage, message, type ObsMessage } from './messages.ts';

/** How long a reporter waits before trying the port and the socket again after losing its hub. */
export const RETRY_MS = 1_000;

export function siblingSocketPath(port: number): string {
  return join(tmpdir(), `wizamart-obs-${process.ppid}-${port}.sock`);
}

/** Reads one JSON message per line from `socket`. */
function onMessages(socket: Socket, handle: (received: ObsMessage) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        const received: unknown = JSON.parse(line);
        if (isObsMessage(received)) handle(received);
      } catch {
        // not ours: ignore the line
      }
    }
  });
}

function write(socket: Socket, sent: ObsMessage): boolean {
  if (socket.destroyed || !socket.writable) return false;
  socket.write(`${JSON.stringify(sent)}\n`);
  return true;
}

/** In the sibling that serves the port: gathers the others over the socket. */
export async function startSiblingHub(path: string, options: HubOptions): Promise<Hub> {
  const hub = createHub(options);
  const server: Server = createServer((socket) => {
    socket.unref();
    let id: string | undefined;
    onMessages(socket, (received) => {
      if (received.kind === 'hello') {
        id = received.from;
        hub.join(id, (sent) => write(socket, sent));
      } else if (id !== undefined) hub.receive(id, received);
    });
    socket.on('error', () => {});
    socket.on('close', () => { if (id !== undefined) hub.leave(id, 'disconnected'); });
  });
  server.unref();
  // This process holds the port exclusively, so a socket file left there is a dead sibling's.
  const listen = () => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // exclusive: bound by this worker itself; otherwise node:cluster would have the primary bind it.
    server.listen({ path, exclusive: true }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  try {
    await listen();
  } catch {
    try { unlinkSync(path); } catch { /* gone already */ }
    await listen();
  }
  chmodSync(path, 0o600);
  // close() removes the file; a process that ends without it must not leave it behind either.
  const removeFile = (): void => { try { unlinkSync(path); } catch { /* gone already */ } };
  process.on('exit', removeFile);
  return {
    ...hub,
    stop() {
      hub.stop();
      process.removeListener('exit', removeFile);
      server.close();
    },
  };
}

/**
 * In a sibling that does not serve: reports to the one that does. When the connection ends
 * (the serving sibling exited), `elect` runs again after RETRY_MS: it tries the port, and
 * reports again if another sibling won it.
 */
export function startSiblingReporter(path: string, from: string, options: ReporterOptions, elect: () => void): () => void {
  let stopped = false;
  let socket: Socket | undefined;
  let attempts = 0;
  const connect = (): void => {
    socket = createConnection(path);
    socket.unref();
    socket.on('connect', () => {
      attempts = 0;
      write(socket!, message({ kind: 'hello', from }));
    });
    onMessages(socket, (received) => answer(received, from, options, (sent) => { if (socket) write(socket, sent); }));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (stopped) return;
      // The winner may not have opened its socket yet: a few quick retries before a new election.
      const retry = attempts++ < 5 ? connect : elect;
      setTimeout(retry, attempts <= 5 ? 200 : RETRY_MS).unref();
    });
  };
  connect();
  return () => {
    stopped = true;
    socket?.destroy();
  };
}
