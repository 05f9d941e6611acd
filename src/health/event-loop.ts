// The built-in event-loop check: a loop blocked by synchronous work (a huge JSON.parse, a
// sync crypto call, a runaway regex) delays every request, and shows in /health with no
// code from the app. Measured by perf_hooks.monitorEventLoopDelay (a libuv timer, no work
// on the JS thread); "recent" is the last complete window plus the current one, so a
// stall shows for one to two windows and then goes away.
//
// p99 rather than max: one slow tick (a GC, a cold require) is noise, but a loop that
// stalls often enough to reach the 99th percentile delays real traffic.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { HealthStatus, type HealthCheck } from './status.ts';

export const EVENT_LOOP_CHECK_NAME = 'event-loop';
/** Sampling interval of the monitor, in ms (Node's default). */
const RESOLUTION_MS = 10;
/** Length of one window of samples. */
export const EVENT_LOOP_WINDOW_MS = 5_000;

export interface EventLoopCheckOptions {
  /** p99 delay above which the check is DEGRADED, in ms. */
  thresholdMs: number;
  /** p99 delay above which it is UNHEALTHY (and decides liveness); undefined: never. */
  livenessMs: number | undefined;
}

export interface EventLoopCheck {
  check: HealthCheck;
  /** Stops the monitor and its window timer. */
  stop(): void;
}

interface Window {
  p99Ms: number;
  maxMs: number;
}

export function createEventLoopCheck(options: EventLoopCheckOptions): EventLoopCheck {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let previous: Window = { p99Ms: 0, maxMs: 0 };
  const rotate = setInterval(() => {
    previous = windowOf(histogram);
    histogram.reset();
  }, EVENT_LOOP_WINDOW_MS);
  // Never what keeps the process alive.
  rotate.unref();

  const check: HealthCheck = () => {
    const current = windowOf(histogram);
    const p99Ms = round(Math.max(previous.p99Ms, current.p99Ms));
    const maxMs = round(Math.max(previous.maxMs, current.maxMs));
    const details = { p99Ms, maxMs, thresholdMs: options.thresholdMs, windowMs: EVENT_LOOP_WINDOW_MS,
      ...(options.livenessMs === undefined ? {} : { livenessMs: options.livenessMs }) };
    if (options.livenessMs !== undefined && p99Ms > options.livenessMs) {
      return { status: HealthStatus.UNHEALTHY, details,
        message: `event loop delay p99 ${p99Ms} ms is above ${options.livenessMs} ms (liveness)` };
    }
    if (p99Ms > options.thresholdMs) {
      return { status: HealthStatus.DEGRADED, details,
        message: `event loop delay p99 ${p99Ms} ms is above ${options.thresholdMs} ms` };
    }
    return { status: HealthStatus.HEALTHY, details, message: `event loop delay p99 ${p99Ms} ms` };
  };

  return {
    check,
    stop() {
      clearInterval(rotate);
      histogram.disable();
    },
  };
}

function windowOf(histogram: ReturnType<typeof monitorEventLoopDelay>): Window {
  // An empty histogram reports NaN/huge values: no samples yet means no delay seen.
  if (histogram.count === 0) return { p99Ms: 0, maxMs: 0 };
  return { p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
