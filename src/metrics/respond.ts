// Writes an exposition to an HTTP response, in the format the Accept header prefers:
// OpenMetrics 1.0 when the client names it (Prometheus does, first), which is the only
// format that carries exemplars; text format 0.0.4 otherwise (curl, promtool, old scrapers).
// Bodies above a small threshold are gzipped when the client accepts it (Prometheus always
// does); gzip runs on libuv's pool, off the loop.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import { parseList } from '../http/accept.ts';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export type ExpositionFormat = 'text' | 'openmetrics';

/** Below this, gzip costs more than it saves on a scrape. */
const GZIP_MIN_BYTES = 1024;

const gzipAsync = promisify(gzip);

export async function sendExposition(req: IncomingMessage, res: ServerResponse, text: string, format: ExpositionFormat = 'text'): Promise<void> {
  let body = Buffer.from(text, 'utf8');
  res.setHeader('Content-Type', format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Vary', 'Accept, Accept-Encoding');
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
  return parseList(header).some(({ value, params }) => {
    const q = params.get('q');
    return (value === 'gzip' || value === '*') && (q === undefined || Number(q) > 0);
  });
}

/**
 * OpenMetrics when the Accept header names `application/openmetrics-text` (version 1.0.0 or
 * none) with a q above zero and not below text 0.0.4's; otherwise text 0.0.4, which is also
 * the answer to no header, a wildcard, or only versions this does not speak (no 406: a scraper
 * that can read anything should get something).
 */
export function negotiateFormat(header: string | string[] | undefined): ExpositionFormat {
  let openMetrics = 0;
  let text = 0;
  for (const { value: type, params } of parseList(header)) {
    const rawQ = params.get('q');
    const q = rawQ === undefined ? 1 : parseQ(unquote(rawQ));
    const rawVersion = params.get('version');
    const version = rawVersion === undefined ? undefined : unquote(rawVersion);
    switch (type) {
      case 'application/openmetrics-text':
        if (version === undefined || version === '1.0.0') openMetrics = Math.max(openMetrics, q);
        break;
      case 'text/plain':
        if (version === undefined || version === '0.0.4') text = Math.max(text, q);
        break;
      case 'text/*':
      case '*/*':
        text = Math.max(text, q);
        break;
      default:
        break;
    }
  }
  return openMetrics > 0 && openMetrics >= text ? 'openmetrics' : 'text';
}

const unquote = (value: string): string => value.replace(/^"(.*)"$/, '$1');

/** RFC 9110 qvalue: 0 to 1, at most three decimals; anything else counts as 0 (refused). */
function parseQ(value: string): number {
  if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(value)) return 0;
  return Number(value);
}
