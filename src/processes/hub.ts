// The serving side of a group of reporting peers, whatever carries the messages (the
// cluster's IPC channel, cluster.ts; a local socket between PM2 instances, siblings.ts).
// prom-client's AggregatorRegistry fails the whole scrape when one worker is missing
// (prom-client #181, #292). Here a scrape asks every peer that said hello, waits at most a
// deadline, and answers with what it has: a slow peer contributes the snapshot it sent
// last (and a warning), a departed one what it had counted (aggregate.ts).
//
// Health goes the same way: each peer runs its own checks and the hub reports them as
// `worker <id>: <check>`; a peer that does not answer, or left, is a failed entry.
//
// The reporting side is `answer()`: the same answers whatever the transport.

import { withDeadline } from '../deadline.ts';
import type { RemoteCheckResult, RemoteChecks } from '../health/registry.ts';
import { HealthStatus } from '../health/status.ts';
import { warn } from '../warnings.ts';
import { PeerBook, type Snapshot, type Source } from './aggregate.ts';
import { message, type ObsMessage } from './messages.ts';
import { pack, unpack } from './wire.ts';

/** How long a departed peer stays in /health as a failed, non-critical entry. */
export const EXITED_VISIBLE_MS = 60_000;

export interface HubOptions {
  /** How long a scrape waits for the peers' metrics. */
  metricsDeadlineMs: number;
  /** How long a health run waits for the peers' checks. */
  healthDeadlineMs: number;
}

export interface Hub {
  /** A peer said hello; `send` reaches it (false when it can't). */
  join(id: string, send: (sent: ObsMessage) => boolean): void;
  /** A message from peer `id`. */
  receive(id: string, received: ObsMessage): void;
  /** Peer `id` is gone; `how` says how, for /health. */
  leave(id: string, how: string): void;
  /** The peers' latest metrics (and what departed ones counted), asked for now. */
  collect(): Promise<Source[]>;
  /** The peers' checks, for the health registry. */
  readonly health: RemoteChecks;
  stop(): void;
}

type Reply = Extract<ObsMessage, { kind: 'metrics' | 'health' }>;

interface Round {
  replies: Map<string, Reply>;
  waiting: Set<string>;
  done(): void;
}

export function createHub(options: HubOptions): Hub {
  const peers = new Map<string, (sent: ObsMessage) => boolean>();
  const exited = new Map<string, { how: string; at: number }>();
  const book = new PeerBook();
  const rounds = new Map<number, Round>();
  let nextId = 1;

  async function ask(kind: 'ask-metrics' | 'ask-health', deadlineMs: number): Promise<Map<string, Reply>> {
    const id = nextId++;
    const replies = new Map<string, Reply>();
    const waiting = new Set<string>();
    for (const [peer, send] of peers) if (send(message({ kind, id }))) waiting.add(peer);
    if (waiting.size === 0) return replies;
    const answered = new Promise<void>((resolve) => rounds.set(id, { replies, waiting, done: resolve }));
    await withDeadline(answered, deadlineMs, () => undefined);
    rounds.delete(id);
    return replies;
  }

  return {
    join(id, send) {
      peers.set(id, send);
      exited.delete(id);
      send(message({ kind: 'welcome' }));
    },
    receive(id, received) {
      // A worker's last numbers, sent as its SDK stops: kept, and counted on once it has exited.
      if (received.kind === 'bye') {
        const send = peers.get(id);
        if (send) {
          book.update(id, id, unpack(received.snapshot));
          send(message({ kind: 'bye-received' }));
        }
        return;
      }
      if (received.kind !== 'metrics' && received.kind !== 'health') return;
      const round = rounds.get(received.id);
      if (!round || !round.waiting.delete(id)) return;
      round.replies.set(id, received);
      if (round.waiting.size === 0) round.done();
    },
    leave(id, how) {
      if (!peers.delete(id)) return;
      book.depart(id);
      exited.set(id, { how, at: performance.now() });
      for (const round of rounds.values()) if (round.waiting.delete(id) && round.waiting.size === 0) round.done();
    },
    async collect() {
      const replies = await ask('ask-metrics', options.metricsDeadlineMs);
      for (const id of peers.keys()) {
        const reply = replies.get(id);
        if (reply?.kind === 'metrics') book.update(id, id, unpack(reply.snapshot));
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
      for (const id of peers.keys()) {
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
      for (const round of rounds.values()) round.done();
    },
  };
}

export interface ReporterOptions {
  /** This peer's facade metrics (its threads' included). */
  snapshot(): Promise<Snapshot>;
  /** This peer's checks, run now (or answered from the recent run). */
  health(): Promise<RemoteCheckResult[]>;
}

/** The reporting side: answers the hub's questions through `reply`. */
export function answer(received: ObsMessage, from: string, options: ReporterOptions, reply: (sent: ObsMessage) => void): void {
  if (received.kind === 'who') reply(message({ kind: 'hello', from }));
  else if (received.kind === 'ask-metrics') {
    const { id } = received;
    void options.snapshot().catch((): Snapshot => ({ metrics: [], perProcess: [] }))
      .then((snapshot) => reply(message({ kind: 'metrics', id, from, snapshot: pack(snapshot) })));
  } else if (received.kind === 'ask-health') {
    const { id } = received;
    void options.health().catch(() => []).then((checks) => reply(message({ kind: 'health', id, from, checks })));
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
