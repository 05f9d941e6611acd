// Writes an exposition to an HTTP response. Always text format 0.0.4: Prometheus asks for
// OpenMetrics first but accepts 0.0.4, and an OpenMetrics body needs `# EOF`, `_created`
// handling and unit rules we do not need. Bodies above a small threshold are gzipped when
// the client accepts it (Prometheus always does); gzip runs on libuv's pool, off the loop.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Below this, gzip costs more than it saves on a scrape. */
const GZIP_MIN_BYTES = 1024;

const gzipAsync = promisify(gzip);

export async function sendExposition(req: IncomingMessage, res: ServerResponse, text: string): Promise<void> {
  let body = Buffer.from(text, 'utf8');
  res.setHeader('Content-Type', CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Vary', 'Accept-Encoding');
  if (body.length >= GZIP_MIN_BYTES && acceptsGzip(req.headers['accept-encoding'])) {
    // Level 1: a scrape is latency- and CPU-bound on the app, not bandwidth-bound; level 1 gets most of the ratio.
    body = await gzipAsync(body, { level: constants.Z_BEST_SPEED });
    res.setHeader('Content-Encoding', 'gzip');
  }
  res.setHeader('Content-Length', body.length);
  res.statusCode = 200;
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** True when Accept-Encoding lists gzip (or *) with a non-zero q. */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  for (const part of value.split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    if (coding.trim() !== 'gzip' && coding.trim() !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}
