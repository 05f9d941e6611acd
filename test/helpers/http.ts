// Real HTTP against real servers: a thin fetch wrapper that never waits forever, and
// servers on free loopback ports.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

export async function request(url: string, init: RequestInit = {}, timeoutMs = 5_000): Promise<Reply> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

export function baseUrl(address: { address: string; port: number } | undefined): string {
  if (!address) throw new Error('the observability server is not listening');
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** Listens on a free 127.0.0.1 port; resolves with the server's base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes the server and every connection it still holds (keep-alive clients included). */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
