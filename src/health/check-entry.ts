// One registered check and its execution: deadline, AbortSignal, and the rule that a
// check still running (say, hung on a dead socket) is never started a second time.

import { withDeadline } from '../deadline.ts';
import { resultFromError, resultFromOutcome, timedOutResult } from './outcome.ts';
import type { HealthCheck, HealthCheckResult } from './status.ts';

export type Probe = 'readiness' | 'liveness';

export interface HealthCheckOptions {
  /** Deadline for one run of this check, in ms. Default: the registry's (HEALTH_CHECK_TIMEOUT_MS). */
  timeoutMs?: number;
  /** A failing non-critical check makes the aggregate DEGRADED, not UNHEALTHY. Default true. */
  critical?: boolean;
  /**
   * Which Kubernetes probes this check decides. Default ['readiness']: liveness never
   * depends on external services unless asked, so a dead database doesn't restart pods.
   */
  probes?: readonly Probe[];
}


export class CheckEntry {
  readonly name: string;
  readonly check: HealthCheck;
  readonly timeoutMs: number | undefined;
  readonly critical: boolean;
  readonly probes: ReadonlySet<Probe>;
  #inFlight: Promise<HealthCheckResult> | undefined;

  constructor(name: string, check: HealthCheck, options: HealthCheckOptions) {
    this.name = name;
    this.check = check;
    this.timeoutMs = options.timeoutMs;
    this.critical = options.critical ?? true;
    this.probes = new Set(options.probes ?? ['readiness']);
  }

  /** Runs the check and settles by its deadline at the latest. Never rejects. */
  run(defaultTimeoutMs: number): Promise<HealthCheckResult> {
    const timeoutMs = this.timeoutMs ?? defaultTimeoutMs;
    // Runs are shared and a new one starts only after the last one settled, so a check
    // still in flight now already missed its deadline in that run: don't pile a second
    // call onto a dependency that is hanging.
    if (this.#inFlight) return Promise.resolve(timedOutResult(this.name, timeoutMs, true));
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
