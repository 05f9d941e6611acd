// What a metrics pipeline needs from a running SDK, for tests that start one on their own
// server: an incoming-request view that treats `own` as the SDK's server, and a resource.

import type { Server } from 'node:http';
import { createIncomingHttp } from '../../src/http/incoming.ts';
import type { MetricsOptions } from '../../src/metrics/index.ts';
import { resolveResource } from '../../src/resource.ts';

export function pipelineOptions(own: Server): MetricsOptions {
  const incoming = createIncomingHttp();
  incoming.setOwnServer(own);
  return {
    cardinalityLimit: 2000,
    healthResults: () => [],
    incoming,
    resource: resolveResource({ serviceName: 'metrics-test', environment: 'test', release: undefined, env: {}, warn: () => {} }),
  };
}
