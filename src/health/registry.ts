// The registry of named health checks (spec: health_registry). Runs every check
// concurrently, each under its own deadline; concurrent callers share one run; the
// latest run is kept so probes can answer from recent results instead of waiting.
// Results belong to the set of checks they were run for: register/unregister makes them
// stale, so the very next request runs the new set instead of serving the old verdict.

import { withDeadline } from '../deadline.ts';
import { CheckEntry, type HealthCheckOptions, type Probe } from './check-entry.ts';
import { HealthStatus, worstStatus, type HealthCheck, type HealthCheckResult, type HealthReport } from './status.ts';
// The defaults live with the rest of the configuration; importing them has no side effects.
import { DEFAULT_HEALTH_CACHE_TTL_MS, DEFAULT_HEALTH_CHECK_TIMEOUT_MS } from '../config.ts';

/** A finished run: the report plus what each probe concluded from it. */
export interface HealthSnapshot {
  report: HealthReport;
  readiness: HealthStatus;
  liveness: HealthStatus;
  /** performance.now() when the run finished. */
  finishedAt: number;
  /** The set of checks it was run for (the registry's version then). */
  version: number;
  /** The entry behind each of report.checks, in order. */
  entries: readonly SnapshotEntry[];
}

/** What a snapshot needs of the check behind a result: a registered CheckEntry, or a remote check. */
type SnapshotEntry = Pick<CheckEntry, 'name' | 'critical' | 'probes' | 'tags'> & { remote?: true };

/**
 * A check that ran elsewhere (a cluster worker): its result, and what it decides, as that
 * process registered it. The registry reports it beside its own checks.
 */
export interface RemoteCheckResult extends HealthCheckResult {
  critical: boolean;
  probes: readonly Probe[];
}

/** Results of checks that run elsewhere; must settle by its own deadline and never reject. */
export type RemoteChecks = () => Promise<readonly RemoteCheckResult[]>;

export interface HealthRegistrySettings {
  /** Deadline of a check that sets no `timeoutMs` of its own. */
  defaultTimeoutMs: number;
  /** How long a finished run counts as recent for the endpoints. */
  cacheTtlMs: number;
}

export class HealthRegistry {
  #checks = new Map<string, CheckEntry>();
  #settings: HealthRegistrySettings = {
    defaultTimeoutMs: DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
    cacheTtlMs: DEFAULT_HEALTH_CACHE_TTL_MS,
  };
  #running: { version: number; done: Promise<HealthSnapshot> } | undefined;
  #remote = new Set<RemoteChecks>();
  /** Criticality of the remote checks of the latest run, by name (metrics label them). */
  #remoteCritical = new Map<string, boolean>();
  #latest: HealthSnapshot | undefined;
  // Bumped by clear(): a run that started before it must not publish its results after it.
  #generation = 0;
  // Bumped by every change to the set of checks: results of another version are stale.
  #version = 0;

  /**
   * Registers a check under `name`. Registering the same function again is a no-op;
   * another function under a taken name is an error (unregister it first).
   */
  register(name: string, check: HealthCheck, options: HealthCheckOptions = {}): this {
    validateRegistration(name, check, options);
    const existing = this.#checks.get(name);
    if (existing) {
      if (existing.check === check) return this;
      throw new Error(`healthRegistry.register("${name}"): a health check named "${name}" is already registered; `
        + `call healthRegistry.unregister("${name}") first to replace it`);
    }
    this.#checks.set(name, new CheckEntry(name, check, options));
    this.#version += 1;
    return this;
  }

  /** The spec's second name for register(). */
  registerCheck(name: string, check: HealthCheck, options: HealthCheckOptions = {}): this {
    return this.register(name, check, options);
  }

  /** Removes a check; true if there was one. */
  unregister(name: string): boolean {
    const removed = this.#checks.delete(name);
    if (removed) this.#version += 1;
    return removed;
  }

  has(name: string): boolean {
    return this.#checks.has(name);
  }

  /** The function registered under `name`, if any. */
  registered(name: string): HealthCheck | undefined {
    return this.#checks.get(name)?.check;
  }

  names(): string[] {
    return [...this.#checks.keys()];
  }

  /** Whether the check named `name` is critical (unknown names count as critical). */
  isCritical(name: string): boolean {
    return this.#checks.get(name)?.critical ?? this.#remoteCritical.get(name) ?? true;
  }

  /** How the check named `name` is registered, for reporting it to another process. */
  describe(name: string): { critical: boolean; probes: Probe[] } | undefined {
    const entry = this.#checks.get(name);
    return entry && { critical: entry.critical, probes: [...entry.probes] };
  }

  /**
   * Reports checks that run elsewhere (cluster workers, src/processes/hub.ts) in every
   * run, beside the registered ones. Returns the function that removes the source.
   */
  addRemoteChecks(source: RemoteChecks): () => void {
    this.#remote.add(source);
    return () => this.#remote.delete(source);
  }

  /** Whether any registered check decides `probe`; lets liveness skip running checks at all. */
  affects(probe: Probe): boolean {
    for (const entry of this.#checks.values()) if (entry.probes.has(probe)) return true;
    return false;
  }

  /** Startup checks (probes: ['startup']) that have not passed once yet. */
  startupPending(): string[] {
    return [...this.#checks.values()].filter((entry) => entry.probes.has('startup') && !entry.passedOnce)
      .map((entry) => entry.name);
  }

  configure(settings: Partial<HealthRegistrySettings>): void {
    this.#settings = { ...this.#settings, ...settings };
  }

  get settings(): Readonly<HealthRegistrySettings> {
    return this.#settings;
  }

  /** Runs every check now (joining a run already in flight) and returns what GET /health serves. */
  async runAll(): Promise<HealthReport> {
    return (await this.#run()).report;
  }

  /** Results of the latest finished run, for metrics; never runs a check. */
  latestResults(): readonly HealthCheckResult[] {
    const latest = this.#latest;
    if (!latest) return [];
    return latest.version === this.#version ? latest.report.checks : this.#restrict(latest).report.checks;
  }

  /**
   * A snapshot of the current set of checks no older than the cache TTL when one exists;
   * else a new run. With `waitMs`, a caller that already has an older snapshot waits at
   * most that long for the new run and otherwise answers from the older one (a hung
   * check can't stall probes), restricted to the checks still registered: a check
   * removed since is gone from it, one added since counts once its first run finishes.
   */
  async snapshot(waitMs = Infinity): Promise<HealthSnapshot> {
    const latest = this.#latest;
    const current = latest?.version === this.#version;
    if (latest && current && performance.now() - latest.finishedAt < this.#settings.cacheTtlMs) return latest;
    const run = this.#run();
    if (!latest || waitMs === Infinity) return run;
    return withDeadline(run, waitMs, () => (current ? latest : this.#restrict(latest)));
  }

  /**
   * Drops all checks and results (tests; an app rebuilding its checks). Shutdown keeps
   * them: the checks belong to the app's modules, which may start the SDK again.
   */
  clear(): void {
    this.#checks.clear();
    this.#latest = undefined;
    this.#running = undefined;
    this.#generation += 1;
    this.#version += 1;
  }

  #run(): Promise<HealthSnapshot> {
    // A run of an older set of checks is not joined: its report would miss the change.
    // Its checks still in flight are joined one by one (CheckEntry.run), never run twice.
    if (this.#running?.version === this.#version) return this.#running.done;
    const version = this.#version;
    const done = this.#runChecks(this.#generation, version).finally(() => {
      if (this.#running?.done === done) this.#running = undefined;
    });
    this.#running = { version, done };
    return done;
  }

  async #runChecks(generation: number, version: number): Promise<HealthSnapshot> {
    const local = [...this.#checks.values()];
    const { defaultTimeoutMs } = this.#settings;
    const [own, remote] = await Promise.all([
      Promise.all(local.map((entry) => entry.run(defaultTimeoutMs))),
      Promise.all([...this.#remote].map((source) => source().catch(() => []))),
    ]);
    const remoteResults = remote.flat();
    const checks: HealthCheckResult[] = [...own, ...remoteResults.map(({ critical: _c, probes: _p, ...result }) => result)];
    const entries: SnapshotEntry[] = [...local, ...remoteResults.map(remoteEntry)];
    const snapshot = summarize(entries, checks, performance.now(), version);
    // Never replace results of a newer set of checks with those of an older one.
    if (generation === this.#generation && version >= (this.#latest?.version ?? 0)) {
      this.#latest = snapshot;
      this.#remoteCritical = new Map(remoteResults.map(({ name, critical }) => [name, critical]));
    }
    return snapshot;
  }

  /**
   * `snapshot` for the checks carrying any of `tags` (its verdicts recomputed for them);
   * undefined when no registered check carries one (a typo, most likely).
   */
  withTags(snapshot: HealthSnapshot, tags: readonly string[]): HealthSnapshot | undefined {
    const tagged = (entry: SnapshotEntry) => tags.some((tag) => entry.tags.has(tag));
    if (![...this.#checks.values()].some(tagged)) return undefined;
    const kept = snapshot.entries.flatMap((entry, i) => (tagged(entry) ? [[entry, snapshot.report.checks[i]!] as const] : []));
    return summarize(kept.map(([entry]) => entry), kept.map(([, result]) => result), snapshot.finishedAt, snapshot.version);
  }

  /** `snapshot`'s results for the checks still registered (same entry, not just same name), and the remote ones. */
  #restrict(snapshot: HealthSnapshot): HealthSnapshot {
    const kept = snapshot.entries.flatMap((entry, i) =>
      entry.remote || this.#checks.get(entry.name) === entry ? [[entry, snapshot.report.checks[i]!] as const] : []);
    return summarize(kept.map(([entry]) => entry), kept.map(([, result]) => result), snapshot.finishedAt, snapshot.version);
  }
}

/** A remote check as a snapshot entry. Liveness stays this process's own: one worker's failure is for its cluster to restart, not the pod. */
function remoteEntry({ name, critical, probes }: RemoteCheckResult): SnapshotEntry {
  return { name, critical, probes: new Set(probes.filter((probe) => probe === 'readiness')), tags: new Set(), remote: true };
}

function summarize(entries: readonly SnapshotEntry[], checks: HealthCheckResult[], finishedAt: number,
  version: number): HealthSnapshot {
  const effective = checks.map((result, i) => effectiveStatus(result.status, entries[i]!));
  const forProbe = (probe: Probe) => worstStatus(effective.filter((_, i) => entries[i]!.probes.has(probe)));
  return {
    report: { status: worstStatus(effective), timestamp: new Date().toISOString(), checks },
    readiness: forProbe('readiness'),
    liveness: forProbe('liveness'),
    finishedAt,
    version,
    entries,
  };
}

/** A non-critical check can degrade the service but never make it unhealthy. */
function effectiveStatus(status: HealthStatus, entry: { critical: boolean }): HealthStatus {
  return !entry.critical && status === HealthStatus.UNHEALTHY ? HealthStatus.DEGRADED : status;
}

const PROBES: readonly Probe[] = ['readiness', 'liveness', 'startup'];

const TAG_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function validateRegistration(name: unknown, check: unknown, options: HealthCheckOptions): void {
  const where = `healthRegistry.register(${typeof name === 'string' ? JSON.stringify(name) : String(name)})`;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new TypeError(`${where}: the check name must be a non-empty string`);
  }
  if (typeof check !== 'function') {
    throw new TypeError(`${where}: the check must be a function, got ${check === null ? 'null' : typeof check}`);
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${where}: options must be an object`);
  }
  const { timeoutMs, critical, probes } = options;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new RangeError(`${where}: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
  }
  if (critical !== undefined && typeof critical !== 'boolean') {
    throw new TypeError(`${where}: critical must be true or false, got ${String(critical)}`);
  }
  for (const key of ['failAfter', 'recoverAfter'] as const) {
    const runs = options[key];
    if (runs !== undefined && !(Number.isInteger(runs) && runs >= 1 && runs <= 1000)) {
      throw new RangeError(`${where}: ${key} must be a whole number of consecutive runs from 1 to 1000, got ${typeof runs === 'string' ? JSON.stringify(runs) : String(runs)}`);
    }
  }
  if (options.tags !== undefined) {
    const { tags } = options;
    if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || !TAG_PATTERN.test(tag))) {
      throw new TypeError(`${where}: tags must be a list of words (letters, digits, "_", "-", ".", ":"), `
        + `got ${safeJson(tags)}`);
    }
  }
  if (probes !== undefined) {
    if (!Array.isArray(probes) || probes.some((probe) => !PROBES.includes(probe))) {
      throw new TypeError(`${where}: probes must be a list of "readiness", "liveness" and/or "startup", got ${JSON.stringify(probes)}`);
    }
  }
}

/** The process-wide registry that module code and the endpoints share. */
export const healthRegistry = new HealthRegistry();
