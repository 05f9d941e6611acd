// How the parts of src/processes/ connect for this process's role (role.ts), so that
// exactly one process or thread serves OBSERVABILITY_PORT and it reports everything:
//
//   main    serves; at each scrape aggregates its own facade data, its threads' (threads.ts)
//           and, as a cluster primary, its workers' (cluster.ts); reports the workers' checks
//   worker  no server; answers the primary with its own data and its threads'. Without a
//           primary running the SDK (PM2), the workers elect one to serve (siblings.ts)
//   thread  no server; reports to its process's main thread
//
// With no thread or worker ever seen, /metrics is exactly the process's own data.

import type { MetricData } from '@opentelemetry/sdk-metrics';
import type { HealthRegistry, RemoteCheckResult } from '../health/registry.ts';
import type { MetricsRegistry } from '../metrics/registry.ts';
import { combine, LabelSets, type Source } from './aggregate.ts';
import { startClusterPrimary, startClusterWorker } from './cluster.ts';
import type { Hub, HubOptions, ReporterOptions } from './hub.ts';
import type { ProcessRole } from './role.ts';
import { snapshotOf, withLocal } from './snapshot.ts';
import { siblingSocketPath, startSiblingHub, startSiblingReporter } from './siblings.ts';
import { startThreadHub, startThreadReporter } from './threads.ts';

/** How long a scrape waits for the cluster's workers. */
export const CLUSTER_METRICS_DEADLINE_MS = 1_000;
/** How long a scrape waits for the process's threads (same process: they answer at once unless busy). */
export const THREAD_METRICS_DEADLINE_MS = 500;
/** Beyond the health checks' own deadline, for the round trip to the workers. */
const HEALTH_MARGIN_MS = 250;

export interface TopologyOptions {
  role: ProcessRole;
  metrics: MetricsRegistry;
  health: HealthRegistry;
  /** The health checks' default deadline: workers' checks get this plus the round trip. */
  healthCheckTimeoutMs: number;
  /** Whether metrics are on in this process: without them there is nothing to report or aggregate. */
  metricsOn: boolean;
}

export interface Topology {
  readonly role: ProcessRole;
  /** Whether this process or thread serves OBSERVABILITY_PORT. */
  readonly serves: boolean;
  /**
   * A cluster worker whose primary does not run the SDK (PM2's daemon): resolves true when
   * the worker should try to serve the port itself, binding it exclusively (first one wins).
   */
  readonly standalone?: Promise<boolean>;
  /**
   * Such a worker's election: `tryServe` binds the port exclusively (true when this worker
   * won); the winner gathers the other workers over a local socket, the others report to it.
   */
  readonly elect?: (tryServe: () => Promise<boolean>, port: number) => Promise<void>;
  /** For the metrics pipeline: this process's facade data -> what /metrics serves. */
  readonly aggregate: ((own: MetricData[]) => Promise<MetricData[]>) | undefined;
  /**
   * A cluster worker whose SDK stops: sends the primary what it counted last, so the
   * primary's final OTLP push (and /metrics until then) includes what was counted after
   * its last scrape. Threads say bye on their own (threads.ts).
   */
  readonly farewell?: () => Promise<void>;
  /** A cluster primary: passes a shutdown signal to its workers and waits (bounded) for them to end. */
  readonly drainWorkers?: (signal: NodeJS.Signals | undefined, ms: number) => Promise<void>;
  stop(): void;
}

export function startTopology(options: TopologyOptions): Topology {
  const { role, metrics, health } = options;
  const stops: (() => void)[] = [];
  if (role.kind === 'thread') {
    if (options.metricsOn) stops.push(startThreadReporter(role.id, () => snapshotOf(metrics)));
    return { role, serves: false, aggregate: undefined, stop: () => stops.forEach((stop) => stop()) };
  }

  const threads = options.metricsOn ? startThreadHub(THREAD_METRICS_DEADLINE_MS) : undefined;
  if (threads) stops.push(() => threads.stop());
  const label = role.kind === 'worker' ? role.id : 'primary';
  // The series keep their attributes objects from one scrape to the next (aggregate.ts).
  const labelSets = new LabelSets();
  const aggregated = (own: MetricData[], peers: Source[]): MetricData[] => {
    const merged = combine([{ label, snapshot: snapshotOf(metrics, own) }, ...peers], labelSets).metrics;
    labelSets.next();
    return withLocal(metrics, own, merged);
  };
  const hubOptions: HubOptions = {
    metricsDeadlineMs: CLUSTER_METRICS_DEADLINE_MS,
    healthDeadlineMs: options.healthCheckTimeoutMs + HEALTH_MARGIN_MS,
  };

  if (role.kind === 'worker') {
    const reporting: ReporterOptions = {
      snapshot: async () => {
        const fromThreads = await threads?.collect() ?? [];
        // Alone, the worker's own snapshot is already what combine() would make of it.
        return fromThreads.length === 0 ? snapshotOf(metrics) : combine([{ label, snapshot: snapshotOf(metrics) }, ...fromThreads]);
      },
      health: () => workerChecks(health),
    };
    const worker = startClusterWorker(reporting);
    stops.push(() => worker.stop());
    // Set when this worker won the port among siblings whose primary does not run the SDK (siblings.ts).
    let siblings: Hub | undefined;
    let stopReporter: (() => void) | undefined;
    stops.push(() => stopReporter?.());
    const elect = async (tryServe: () => Promise<boolean>, port: number): Promise<void> => {
      stopReporter?.();
      stopReporter = undefined;
      const won = await tryServe();
      if (port === 0) return; // every worker gets a port of its own: nothing to share
      const path = siblingSocketPath(port);
      if (!won) {
        stopReporter = startSiblingReporter(path, label, reporting, () => void elect(tryServe, port));
        return;
      }
      try {
        const hub = await startSiblingHub(path, hubOptions);
        siblings = hub;
        stops.push(() => hub.stop(), health.addRemoteChecks(hub.health));
      } catch {
        // No socket: this worker serves its own data only, as a single process would.
      }
    };
    return {
      role,
      serves: false,
      standalone: worker.welcomed.then((yes) => !yes),
      elect,
      farewell: async () => {
        if (await worker.welcomed) await worker.bye(await reporting.snapshot());
      },
      aggregate: async (own) => {
        const peers = [...(await threads?.collect() ?? []), ...(await siblings?.collect() ?? [])];
        if (peers.length === 0) return own;
        return aggregated(own, peers);
      },
      stop: () => stops.forEach((stop) => stop()),
    };
  }

  // The main thread of a process that is not a cluster worker is a cluster primary (of no workers, mostly).
  const primary = startClusterPrimary(hubOptions);
  stops.push(() => primary.stop());
  stops.push(health.addRemoteChecks(primary.health));
  const aggregate = async (own: MetricData[]): Promise<MetricData[]> => {
    const [fromThreads, fromWorkers] = await Promise.all([threads?.collect() ?? [], primary.collect()]);
    const peers = [...fromThreads, ...fromWorkers];
    if (peers.length === 0) return own;
    return aggregated(own, peers);
  };
  return {
    role,
    serves: true,
    aggregate,
    drainWorkers: (signal, ms) => primary.drainWorkers(signal, ms),
    stop: () => stops.forEach((stop) => stop()),
  };
}

async function workerChecks(health: HealthRegistry): Promise<RemoteCheckResult[]> {
  const { report } = await health.snapshot();
  return report.checks.map((check) => ({ ...check, ...(health.describe(check.name) ?? { critical: true, probes: ['readiness'] }) }));
}
