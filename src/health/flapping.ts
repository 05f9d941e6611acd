// Flapping protection (failAfter / recoverAfter): one slow query must not take a pod out
// of its Service, and one lucky ping must not put a broken one back. A check's verdict
// changes between failing (UNHEALTHY) and passing (healthy or degraded) only after that
// many consecutive runs say so; until then the previous verdict holds and the result says
// it is in its grace window.

import { HealthStatus, type HealthCheckResult } from './status.ts';

export interface FlappingOptions {
  /** Consecutive failing runs before the check reports UNHEALTHY. Default 1 (at once). */
  failAfter: number;
  /** Consecutive passing runs before a failing check reports passing again. Default 1. */
  recoverAfter: number;
}

export class FlappingGuard {
  readonly #options: FlappingOptions;
  // The verdict being reported; undefined until the first run, which is taken as it is
  // (there is no earlier verdict to hold, and claiming "healthy" would be a guess).
  #verdict: HealthStatus | undefined;
  #streak = 0;

  constructor(options: FlappingOptions) {
    this.#options = options;
  }

  /** Called once per run of the check (shared runs count once); returns what to report. */
  settle(observed: HealthCheckResult): HealthCheckResult {
    const failing = observed.status === HealthStatus.UNHEALTHY;
    if (this.#verdict === undefined || failing === (this.#verdict === HealthStatus.UNHEALTHY)) {
      // Same side as the verdict: follow it (healthy <-> degraded is not a flip).
      this.#verdict = observed.status;
      this.#streak = 0;
      return observed;
    }
    this.#streak += 1;
    const needed = failing ? this.#options.failAfter : this.#options.recoverAfter;
    if (this.#streak >= needed) {
      this.#verdict = observed.status;
      this.#streak = 0;
      return observed;
    }
    return {
      ...observed,
      status: this.#verdict,
      grace: { observed: observed.status, consecutive: this.#streak, needed },
    };
  }
}
