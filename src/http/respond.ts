// Small response writers shared by every endpoint: explicit length, no caching
// (probe answers must never come from a proxy's cache), HEAD without a body.

import type { IncomingMessage, ServerResponse } from 'node:http';

export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown,
  headers: Record<string, string> = {}, contentType = 'application/json; charset=utf-8'): void {
  send(req, res, status, `${JSON.stringify(body)}\n`, contentType, headers);
}

export function sendText(req: IncomingMessage, res: ServerResponse, status: number, text: string,
  headers: Record<string, string> = {}): void {
  send(req, res, status, `${text}\n`, 'text/plain; charset=utf-8', headers);
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: string, contentType: string,
  headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': bytes.length,
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
