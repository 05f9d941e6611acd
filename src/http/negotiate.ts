// Just enough Accept-header negotiation for /health: does the client prefer `offered`
// over plain JSON? Plain JSON wins ties against wildcards (*/* and application/* mean
// "anything", and the spec's report is the default), the explicit type wins otherwise.

import type { IncomingMessage } from 'node:http';
import { parseList } from './accept.ts';

export function prefers(req: IncomingMessage, offered: string): boolean {
  let offeredQ = 0;
  let jsonQ = 0;
  for (const { value: type, params } of parseList(req.headers.accept)) {
    const q = quality(params.get('q'));
    if (type === offered) offeredQ = Math.max(offeredQ, q);
    else if (type === 'application/json') jsonQ = Math.max(jsonQ, q);
  }
  return offeredQ > 0 && offeredQ >= jsonQ;
}

function quality(value: string | undefined): number {
  if (value === undefined) return 1;
  const q = Number(value);
  return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
}
