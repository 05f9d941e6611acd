// The one running instance of the SDK (lightship's createLightship pattern): everything a
// started SDK owns, in one object that initObservability() builds and passes explicitly to
// the parts, and that shutdown takes apart. Finding why /health/ready says "draining" means
// reading `state` here and the three lines of observability.ts that set it.

import type { AddressInfo } from 'node:net';
import type { Resource } from '@opentelemetry/resources';
import type { Config } from './config.ts';
import { healthRegistry, type HealthRegistry } from './health/registry.ts';
import type { EventLoopCheck } from './health/event-loop.ts';
import { bearerAuth } from './http/auth.ts';
import type { EndpointView, LifecycleState, ToolLinks } from './http/endpoints.ts';
import { createIncomingHttp, type IncomingHttp } from './http/incoming.ts';
import type { MetricsPipeline } from './metrics/index.ts';
import { resolveResource } from './resource.ts';
import type { Topology } from './processes/topology.ts';
import type { ObservabilityServer } from './server.ts';
import { warn } from './warnings.ts';

export interface ObservabilityStarted {
  /** Where the built-in server listens; undefined when it is off or could not bind. */
  server: AddressInfo | undefined;
  config: Readonly<Config>;
}

export interface Running extends EndpointView {
  readonly config: Config;
  /** The service identity, resolved on first use (loading detectors costs startup) and then shared. */
  readonly resource: () => Resource;
  /** The app's incoming HTTP as RED metrics, server spans and shutdown see it. */
  readonly incoming: IncomingHttp;
  /** 'starting' until the parts are up, 'serving', then 'draining' from the first shutdown step on. */
  state: LifecycleState;
  server: ObservabilityServer | undefined;
  metrics: MetricsPipeline | undefined;
  /** This process's role among the service's processes and threads, and how it reports (src/processes/). */
  processes: Topology | undefined;
  /** Settles when start-up is done (the built-in server listens or could not). */
  started: Promise<ObservabilityStarted>;
  /** The built-in event-loop check, while it is registered. */
  eventLoop: EventLoopCheck | undefined;
  /** Set by the first shutdown; later calls share it. */
  stopping: Promise<void> | undefined;
}

export function createRunning(config: Config): Running {
  let resource: Resource | undefined;
  const authorized = bearerAuth(config.authToken);
  return {
    config,
    resource: () => (resource ??= resolveResource({
      serviceName: config.serviceName,
      environment: config.environment,
      release: config.release,
      env: config.env,
      warn,
    })),
    incoming: createIncomingHttp(),
    state: 'starting',
    server: undefined,
    metrics: undefined,
    processes: undefined,
    started: Promise.resolve({ server: undefined, config }),
    eventLoop: undefined,
    stopping: undefined,
    registry: healthRegistry,
    startup: { open: false },
    tools: config.tools,
    authorized,
  };
}

/**
 * What healthRouter answers from when the SDK is not running (before initObservability, or
 * after shutdown): the registry's checks, serving, everything open, no /metrics.
 */
export function idleView(registry: HealthRegistry = healthRegistry): EndpointView {
  return {
    registry,
    state: 'serving',
    tools: { flower: null, grafana: null, prometheus: null },
    metrics: undefined,
    // No memory between requests: with the SDK not running, the latch is the checks' own
    // "passed once", which only unregistering a check resets.
    startup: { open: false },
    authorized: () => true,
  };
}

export type { ToolLinks };
