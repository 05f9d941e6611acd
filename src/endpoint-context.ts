// What the endpoints read: the health registry, the lifecycle state, the configured
// tool links and, once metrics are enabled, the /metrics handler. initObservability()
// fills it; healthRouter and the built-in server both read the same one.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { healthRegistry, type HealthRegistry } from './health/registry.ts';
import { lifecycleState, type LifecycleState } from './health/lifecycle.ts';
import { bearerAuth } from './http/auth.ts';

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
  /** Whether `req` may see /metrics, /health/tools and check details (OBSERVABILITY_AUTH_TOKEN). */
  authorized(req: IncomingMessage): boolean;
}

let tools: ToolLinks = { flower: null, grafana: null, prometheus: null };
let metrics: MetricsHandler | undefined;
let authorized = bearerAuth(undefined);

export function setToolLinks(links: ToolLinks): void {
  tools = links;
}

export function setMetricsHandler(handler: MetricsHandler | undefined): void {
  metrics = handler;
}

export function setAuthToken(token: string | undefined): void {
  authorized = bearerAuth(token);
}

export const defaultEndpointContext: EndpointContext = {
  registry: healthRegistry,
  lifecycleState,
  tools: () => tools,
  metrics: () => metrics,
  authorized: (req) => authorized(req),
};
