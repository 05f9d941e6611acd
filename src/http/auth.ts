// Optional bearer token for what is not meant for everyone: /metrics, /health/tools
// and the per-check details of /health. The kubelet's /health/live and /health/ready
// stay open (probes can't easily send secrets, and they reveal nothing).

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** A checker for `Authorization: Bearer <token>`; without a token configured, everyone is authorised. */
export function bearerAuth(token: string | undefined): (req: IncomingMessage) => boolean {
  if (!token) return () => true;
  const expected = digest(token);
  return (req) => {
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !/^bearer /i.test(header)) return false;
    // Equal-length digests, compared in constant time: neither length nor content leaks through timing.
    return timingSafeEqual(digest(header.slice(7).trim()), expected);
  };
}
