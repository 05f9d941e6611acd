// The registry of named health checks (spec: health_registry). Runs every check
// concurrently, each under its own deadline; concurrent callers share one run; the
// latest run is kept so probes can answer from recent results instead of waiting.

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
}

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
  #running: Promise<HealthSnapshot> | undefined;
  #latest: HealthSnapshot | undefined;
  // Bumped by clear(): a run that started before it must not publish its results after it.
  #generation = 0;

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
    return this;
  }

  /** The spec's second name for register(). */
  registerCheck(name: string, check: HealthCheck, options: HealthCheckOptions = {}): this {
    return this.register(name, check, options);
  }

  /** Removes a check; true if there was one. */
  unregister(name: string): boolean {
    return this.#checks.delete(name);
  }

  has(name: string): boolean {
    return this.#checks.has(name);
  }

  names(): string[] {
    return [...this.#checks.keys()];
  }

  /** Whether the check named `name` is critical (unknown names count as critical). */
  isCritical(name: string): boolean {
    return this.#checks.get(name)?.critical ?? true;
  }

  /** Whether any registered check decides `probe`; lets liveness skip running checks at all. */
  affects(probe: Probe): boolean {
    for (const entry of this.#checks.values()) if (entry.probes.has(probe)) return true;
    return false;
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
    return this.#latest?.report.checks ?? [];
  }

  /**
   * A snapshot no older than the cache TTL when one exists; else a new run. With
   * `waitMs`, a caller that already has an older snapshot waits at most that long for
   * the new run and otherwise answers from the older one (a hung check can't stall probes).
   */
  async snapshot(waitMs = Infinity): Promise<HealthSnapshot> {
    const latest = this.#latest;
    if (latest && performance.now() - latest.finishedAt < this.#settings.cacheTtlMs) return latest;
    const run = this.#run();
    if (!latest || waitMs === Infinity) return run;
    return withDeadline(run, waitMs, () => latest);
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
  }

  #run(): Promise<HealthSnapshot> {
    if (this.#running) return this.#running;
    const running = this.#runChecks(this.#generation).finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  async #runChecks(generation: number): Promise<HealthSnapshot> {
    const entries = [...this.#checks.values()];
    const { defaultTimeoutMs } = this.#settings;
    const checks = await Promise.all(entries.map((entry) => entry.run(defaultTimeoutMs)));
    const effective = checks.map((result, i) => effectiveStatus(result.status, entries[i]!));
    const forProbe = (probe: Probe) => worstStatus(effective.filter((_, i) => entries[i]!.probes.has(probe)));
    const snapshot: HealthSnapshot = {
      report: { status: worstStatus(effective), timestamp: new Date().toISOString(), checks },
      readiness: forProbe('readiness'),
      liveness: forProbe('liveness'),
      finishedAt: performance.now(),
    };
    if (generation === this.#generation) this.#latest = snapshot;
    return snapshot;
  }
}

/** A non-critical check can degrade the service but never make it unhealthy. */
function effectiveStatus(status: HealthStatus, entry: CheckEntry): HealthStatus {
  return !entry.critical && status === HealthStatus.UNHEALTHY ? HealthStatus.DEGRADED : status;
}

const PROBES: readonly Probe[] = ['readiness', 'liveness'];

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
  if (probes !== undefined) {
    if (!Array.isArray(probes) || probes.some((probe) => !PROBES.includes(probe))) {
      throw new TypeError(`${where}: probes must be a list of "readiness" and/or "liveness", got ${JSON.stringify(probes)}`);
    }
  }
}

/** The process-wide registry that module code and the endpoints share. */
export const healthRegistry = new HealthRegistry();
