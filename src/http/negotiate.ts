// Just enough Accept-header negotiation for /health: does the client prefer `offered`
// over plain JSON? Plain JSON wins ties against wildcards (*/* and application/* mean
// "anything", and the spec's report is the default), the explicit type wins otherwise.

import type { IncomingMessage } from 'node:http';

export function prefers(req: IncomingMessage, offered: string): boolean {
  const accept = req.headers.accept;
  if (!accept) return false;
  let offeredQ = 0;
  let jsonQ = 0;
  for (const part of accept.split(',')) {
    const [rawType = '', ...params] = part.split(';');
    const type = rawType.trim().toLowerCase();
    const q = quality(params);
    if (type === offered) offeredQ = Math.max(offeredQ, q);
    else if (type === 'application/json') jsonQ = Math.max(jsonQ, q);
  }
  return offeredQ > 0 && offeredQ >= jsonQ;
}

function quality(params: string[]): number {
  for (const param of params) {
    const [key, value] = param.split('=').map((s) => s.trim());
    if (key?.toLowerCase() === 'q') {
      const q = Number(value);
      return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
    }
  }
  return 1;
}
