// What the endpoints read: the health registry, the lifecycle state, the configured
// tool links and, once metrics are enabled, the /metrics handler. initObservability()
// fills it; healthRouter and the built-in server both read the same one.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { healthRegistry, type HealthRegistry } from './health/registry.ts';
import { lifecycleState, type LifecycleState } from './health/lifecycle.ts';

export interface ToolLinks {
  flower: string | null;
  grafana: string | null;
  prometheus: string | null;
}

export interface MetricsHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface EndpointContext {
  registry: HealthRegistry;
  lifecycleState(): LifecycleState;
  tools(): ToolLinks;
  metrics(): MetricsHandler | undefined;
}

let tools: ToolLinks = { flower: null, grafana: null, prometheus: null };
let metrics: MetricsHandler | undefined;

export function setToolLinks(links: ToolLinks): void {
  tools = links;
}

export function setMetricsHandler(handler: MetricsHandler | undefined): void {
  metrics = handler;
}

export const defaultEndpointContext: EndpointContext = {
  registry: healthRegistry,
  lifecycleState,
  tools: () => tools,
  metrics: () => metrics,
};
