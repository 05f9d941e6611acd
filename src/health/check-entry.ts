// One registered check and its execution: deadline, AbortSignal, and the rule that a
// check still running (say, hung on a dead socket) is never started a second time.

import { withDeadline } from '../deadline.ts';
import { FlappingGuard } from './flapping.ts';
import { resultFromError, resultFromOutcome, timedOutResult } from './outcome.ts';
import { HealthStatus, type HealthCheck, type HealthCheckResult } from './status.ts';

export type Probe = 'readiness' | 'liveness' | 'startup';

export interface HealthCheckOptions {
  /** Deadline for one run of this check, in ms. Default: the registry's (HEALTH_CHECK_TIMEOUT_MS). */
  timeoutMs?: number;
  /** A failing non-critical check makes the aggregate DEGRADED, not UNHEALTHY. Default true. */
  critical?: boolean;
  /**
   * Which Kubernetes probes this check decides. Default ['readiness']: liveness never
   * depends on external services unless asked, so a dead database doesn't restart pods.
   * 'startup': /health/startup waits until this check has passed once (a cache warmed,
   * migrations applied), then never looks at it again.
   */
  probes?: readonly Probe[];
  /**
   * Groups the check belongs to (Spring's health groups, ASP.NET's predicates):
   * `/health?tag=db` answers for the checks tagged "db" only.
   */
  tags?: readonly string[];
  /** Consecutive failing runs before the check reports UNHEALTHY (flapping protection). Default 1. */
  failAfter?: number;
  /** Consecutive passing runs before a failing check reports passing again. Default 1. */
  recoverAfter?: number;
}


export class CheckEntry {
  readonly name: string;
  readonly check: HealthCheck;
  readonly timeoutMs: number | undefined;
  readonly critical: boolean;
  readonly probes: ReadonlySet<Probe>;
  readonly tags: ReadonlySet<string>;
  // The current run's result, settling by its deadline: a second caller joins it.
  #current: Promise<HealthCheckResult> | undefined;
  // The check's own promise: it may outlive the deadline (a hung socket).
  #inFlight: Promise<HealthCheckResult> | undefined;
  #passedOnce = false;
  readonly #flapping: FlappingGuard;

  constructor(name: string, check: HealthCheck, options: HealthCheckOptions) {
    this.name = name;
    this.check = check;
    this.timeoutMs = options.timeoutMs;
    this.critical = options.critical ?? true;
    this.probes = new Set(options.probes ?? ['readiness']);
    this.tags = new Set(options.tags ?? []);
    this.#flapping = new FlappingGuard({ failAfter: options.failAfter ?? 1, recoverAfter: options.recoverAfter ?? 1 });
  }

  /**
   * Runs the check and settles by its deadline at the latest. Never rejects. A caller
   * arriving while a run is within its deadline shares it: registry runs overlap when the
   * set of checks changes mid-run, and a check must never run twice at once.
   */
  run(defaultTimeoutMs: number): Promise<HealthCheckResult> {
    if (this.#current) return this.#current;
    const timeoutMs = this.timeoutMs ?? defaultTimeoutMs;
    // Past its deadline and still running: don't pile a second call onto a dependency
    // that is hanging (this run counts as a failing one).
    const observed = this.#inFlight
      ? Promise.resolve(timedOutResult(this.name, timeoutMs, true))
      : this.#startWithDeadline(timeoutMs);
    // Once per run, however many callers share it: the guard counts runs.
    const current = observed.then((result) => {
      if (result.status !== HealthStatus.UNHEALTHY) this.#passedOnce = true;
      return this.#flapping.settle(result);
    });
    this.#current = current;
    void current.then(() => {
      if (this.#current === current) this.#current = undefined;
    });
    return current;
  }

  #startWithDeadline(timeoutMs: number): Promise<HealthCheckResult> {
    const controller = new AbortController();
    const settled = this.#start(controller.signal);
    this.#inFlight = settled;
    void settled.finally(() => {
      if (this.#inFlight === settled) this.#inFlight = undefined;
    });
    return withDeadline(settled, timeoutMs, () => {
      controller.abort(new Error(`health check "${this.name}" timed out after ${timeoutMs} ms`));
      return timedOutResult(this.name, timeoutMs, false);
    });
  }

  /** Whether any run so far ended healthy or degraded (what the startup probe waits for). */
  get passedOnce(): boolean {
    return this.#passedOnce;
  }

  async #start(signal: AbortSignal): Promise<HealthCheckResult> {
    const startedAt = performance.now();
    const measured = () => ({ name: this.name, latencyMs: performance.now() - startedAt });
    try {
      const outcome = await this.check(signal);
      return resultFromOutcome(outcome, measured());
    } catch (error) {
      return resultFromError(error, measured());
    }
  }
}
