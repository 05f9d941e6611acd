// node:cluster: the primary serves OBSERVABILITY_PORT; the workers don't listen at all and
// answer the primary over the cluster's IPC channel instead (prom-client's
// AggregatorRegistry does the same over a second port, and fails the whole scrape when one
// worker is missing: prom-client #181, #292). Here a scrape asks every worker whose SDK said
// hello, waits at most a deadline, and answers with what it has: a slow worker contributes
// the snapshot it sent last (and a warning), a dead one what it had counted (aggregate.ts).
//
// Health goes the same way: each worker runs its own checks and the primary reports them
// as `worker <id>: <check>`; a worker that does not answer, or exited, is a failed entry.

import cluster, { type Worker } from 'node:cluster';
import { withDeadline } from '../deadline.ts';
import type { RemoteCheckResult, RemoteChecks } from '../health/registry.ts';
import { HealthStatus } from '../health/status.ts';
import { warn } from '../warnings.ts';
import { PeerBook, type Source, type Snapshot } from './aggregate.ts';
import { isObsMessage, message, type ObsMessage } from './messages.ts';

/** How long an exited worker stays in /health as a failed, non-critical entry. */
export const EXITED_VISIBLE_MS = 60_000;

export interface ClusterPrimaryOptions {
  /** How long a scrape waits for the workers' metrics. */
  metricsDeadlineMs: number;
  /** How long a health run waits for the workers' checks. */
  healthDeadlineMs: number;
}

export interface ClusterPrimary {
  /** The workers' latest metrics (and what departed ones counted), asked for now. */
  collect(): Promise<Source[]>;
  /** The workers' checks, for the health registry. */
  readonly health: RemoteChecks;
  stop(): void;
}

type Reply = Extract<ObsMessage, { kind: 'metrics' | 'health' }>;

interface Round {
  replies: Map<string, Reply>;
  waiting: Set<string>;
  done(): void;
}

export function startClusterPrimary(options: ClusterPrimaryOptions): ClusterPrimary {
  const workers = new Map<string, Worker>();
  const exited = new Map<string, { how: string; at: number }>();
  const book = new PeerBook();
  const rounds = new Map<number, Round>();
  let nextId = 1;

  const onMessage = (worker: Worker, received: unknown): void => {
    if (!isObsMessage(received)) return;
    const id = String(worker.id);
    if (received.kind === 'hello') {
      workers.set(id, worker);
      send(worker, message({ kind: 'welcome' }));
      return;
    }
    if (received.kind !== 'metrics' && received.kind !== 'health') return;
    const round = rounds.get(received.id);
    if (!round || !round.waiting.delete(id)) return;
    round.replies.set(id, received);
    if (round.waiting.size === 0) round.done();
  };
  const onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    const id = String(worker.id);
    if (!workers.delete(id)) return;
    book.depart(id);
    exited.set(id, { how: signal ? `was killed by ${signal}` : `exited with code ${code}`, at: performance.now() });
    for (const round of rounds.values()) if (round.waiting.delete(id) && round.waiting.size === 0) round.done();
  };
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  // The primary's SDK may start after its workers': ask who is there.
  for (const worker of Object.values(cluster.workers ?? {})) if (worker) send(worker, message({ kind: 'who' }));

  async function ask(kind: 'ask-metrics' | 'ask-health', deadlineMs: number): Promise<Map<string, Reply>> {
    const id = nextId++;
    const replies = new Map<string, Reply>();
    const waiting = new Set<string>();
    for (const [workerId, worker] of workers) if (send(worker, message({ kind, id }))) waiting.add(workerId);
    if (waiting.size === 0) return replies;
    const answered = new Promise<void>((resolve) => rounds.set(id, { replies, waiting, done: resolve }));
    await withDeadline(answered, deadlineMs, () => undefined);
    rounds.delete(id);
    return replies;
  }

  return {
    async collect() {
      const replies = await ask('ask-metrics', options.metricsDeadlineMs);
      for (const id of workers.keys()) {
        const reply = replies.get(id);
        if (reply?.kind === 'metrics') book.update(id, id, reply.snapshot);
        else {
          warn('OBS_CLUSTER_WORKER_SLOW', `cluster worker ${id} did not send its metrics within ${options.metricsDeadlineMs} ms; `
            + 'this scrape shows what it sent last', `cluster-slow:${id}`);
        }
      }
      return book.sources();
    },
    async health() {
      const replies = await ask('ask-health', options.healthDeadlineMs);
      const results: RemoteCheckResult[] = [];
      for (const id of workers.keys()) {
        const reply = replies.get(id);
        if (reply?.kind !== 'health') {
          results.push(failed(`worker ${id}`, `did not answer within ${options.healthDeadlineMs} ms`, true));
          continue;
        }
        for (const check of reply.checks) results.push({ ...check, name: `worker ${id}: ${check.name}` });
      }
      const now = performance.now();
      for (const [id, { how, at }] of exited) {
        if (now - at > EXITED_VISIBLE_MS) exited.delete(id);
        else results.push(failed(`worker ${id}`, how, false));
      }
      return results;
    },
    stop() {
      cluster.removeListener('message', onMessage);
      cluster.removeListener('exit', onExit);
      for (const round of rounds.values()) round.done();
    },
  };
}

/** How long a worker waits for the primary's welcome before it concludes no primary serves. */
export const WELCOME_WAIT_MS = 1_000;

export interface ClusterWorkerOptions {
  /** This worker's facade metrics (its threads' included). */
  snapshot(): Promise<Snapshot>;
  /** This worker's checks, run now (or answered from the recent run). */
  health(): Promise<RemoteCheckResult[]>;
}

export interface ClusterWorker {
  /**
   * Resolves true when the primary welcomed this worker (it serves the port), false when
   * none did within WELCOME_WAIT_MS: a primary that does not run the SDK, as PM2's daemon
   * in cluster mode or a primary started without the preload.
   */
  readonly welcomed: Promise<boolean>;
  stop(): void;
}

/** In a worker: says hello, then answers the primary's questions. */
export function startClusterWorker(options: ClusterWorkerOptions): ClusterWorker {
  const from = String(cluster.worker?.id ?? process.pid);
  let welcome: (yes: boolean) => void = () => {};
  const welcomed = new Promise<boolean>((resolve) => { welcome = resolve; });
  const timer = setTimeout(() => welcome(false), WELCOME_WAIT_MS);
  timer.unref(); // a worker that is done anyway need not wait for an answer
  const onMessage = (received: unknown): void => {
    if (!isObsMessage(received)) return;
    if (received.kind === 'welcome') {
      clearTimeout(timer);
      welcome(true);
    } else if (received.kind === 'who') reply(message({ kind: 'hello', from }));
    else if (received.kind === 'ask-metrics') {
      const { id } = received;
      void options.snapshot().catch((): Snapshot => ({ metrics: [], perProcess: [] }))
        .then((snapshot) => reply(message({ kind: 'metrics', id, from, snapshot })));
    } else if (received.kind === 'ask-health') {
      const { id } = received;
      void options.health().catch(() => []).then((checks) => reply(message({ kind: 'health', id, from, checks })));
    }
  };
  // A cluster worker's IPC channel already keeps it alive; listening adds nothing to that.
  process.on('message', onMessage);
  reply(message({ kind: 'hello', from }));
  return {
    welcomed,
    stop: () => {
      clearTimeout(timer);
      welcome(false);
      process.removeListener('message', onMessage);
    },
  };
}

function reply(sent: ObsMessage): void {
  if (!process.connected || !process.send) return;
  // The callback takes the error of a channel closing meanwhile (the primary exiting).
  process.send(sent, undefined, {}, () => {});
}

function send(worker: Worker, sent: ObsMessage): boolean {
  if (!worker.isConnected()) return false;
  try {
    worker.send(sent, undefined, () => {});
    return true;
  } catch {
    return false;
  }
}

function failed(name: string, why: string, critical: boolean): RemoteCheckResult {
  return {
    name,
    status: HealthStatus.UNHEALTHY,
    message: why,
    latency_ms: 0,
    details: {},
    checked_at: new Date().toISOString(),
    critical,
    probes: ['readiness'],
  };
}
