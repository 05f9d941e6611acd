// Node.js runtime metrics, named like prom-client's collectDefaultMetrics so existing
// dashboards work, except where its names fail promtool (its gauges ending in `_total`).
// Everything is read at scrape time except GC (a PerformanceObserver, no timer) and
// event-loop delay (perf_hooks' sampler, a native unref'd timer).

import { readdirSync, readFileSync } from 'node:fs';
import { PerformanceObserver, constants, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import type { MetricsRegistry } from './registry.ts';

/** prom-client's GC buckets, in seconds. */
const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];
/** prom-client's kind names; V8's minor mark-sweep (a minor GC variant) counts as minor. */
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MINOR_MARK_SWEEP ?? 2]: 'minor', // constant absent before Node 24; V8's value is 2
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Declares the runtime metrics and keeps them current; returns the function that stops it. */
export function recordRuntimeMetrics(registry: MetricsRegistry): () => void {
  const r = registry;
  const cpuUser = r.counter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.');
  const cpuSystem = r.counter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.');
  const cpuTotal = r.counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.');
  const startTime = r.gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.');
  const rss = r.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.');
  // /proc is Linux-only, as in prom-client; elsewhere these two are not declared at all.
  const linux = process.platform === 'linux';
  const openFds = linux ? r.gauge('process_open_fds', 'Number of open file descriptors.') : undefined;
  const maxFds = linux ? r.gauge('process_max_fds', 'Maximum number of open file descriptors.') : undefined;
  const heapTotal = r.gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.');
  const heapUsed = r.gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.');
  const external = r.gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.');
  const spaceUsed = r.gauge('nodejs_heap_space_size_used_bytes', 'Used size of each V8 heap space in bytes.', ['space']);
  const spaceTotal = r.gauge('nodejs_heap_space_size_total_bytes', 'Size of each V8 heap space in bytes.', ['space']);
  const lag = {
    min: r.gauge('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay since the last scrape.'),
    max: r.gauge('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay since the last scrape.'),
    mean: r.gauge('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays since the last scrape.'),
    stddev: r.gauge('nodejs_eventloop_lag_stddev_seconds', 'The standard deviation of the recorded event loop delays since the last scrape.'),
    p50: r.gauge('nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays since the last scrape.'),
    p90: r.gauge('nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays since the last scrape.'),
    p99: r.gauge('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays since the last scrape.'),
  };
  const elu = r.gauge('nodejs_eventloop_utilization_ratio', 'Fraction of time the event loop was busy since the last scrape.');
  const resources = r.gauge('nodejs_active_resources', 'Active resources keeping the event loop alive, by type.', ['type']);
  const gc = r.histogram('nodejs_gc_duration_seconds', 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.', ['kind'], {
    buckets: GC_BUCKETS,
  });
  const version = r.gauge('nodejs_version_info', 'Node.js version info.', ['version', 'major', 'minor', 'patch']);

  const [major = '0', minor = '0', patch = '0'] = process.versions.node.split('.');
  version.labels(process.version, major, minor, patch).set(1);
  startTime.set(Math.round(Date.now() / 1000 - process.uptime()));
  const fdLimit = readMaxFds();
  if (fdLimit !== undefined) maxFds?.set(fdLimit);

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let lastElu = performance.eventLoopUtilization();
  let lastCpu = { user: 0, system: 0 };

  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'unknown';
      gc.labels(kind).observe(entry.duration / 1000);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });

  const stopHook = registry.onCollect(() => {
    const cpu = process.cpuUsage();
    const user = (cpu.user - lastCpu.user) / 1e6;
    const system = (cpu.system - lastCpu.system) / 1e6;
    lastCpu = cpu;
    cpuUser.inc(user);
    cpuSystem.inc(system);
    cpuTotal.inc(user + system);

    const memory = process.memoryUsage();
    rss.set(memory.rss);
    heapTotal.set(memory.heapTotal);
    heapUsed.set(memory.heapUsed);
    external.set(memory.external);
    for (const space of getHeapSpaceStatistics()) {
      spaceUsed.labels(space.space_name).set(space.space_used_size);
      spaceTotal.labels(space.space_name).set(space.space_size);
    }
    const fds = openFds && countOpenFds();
    if (fds !== undefined) openFds?.set(fds);

    if (delay.count > 0) {
      lag.min.set(delay.min / 1e9);
      lag.max.set(delay.max / 1e9);
      lag.mean.set(delay.mean / 1e9);
      lag.stddev.set(delay.stddev / 1e9);
      lag.p50.set(delay.percentile(50) / 1e9);
      lag.p90.set(delay.percentile(90) / 1e9);
      lag.p99.set(delay.percentile(99) / 1e9);
    }
    // Per-scrape window, as prom-client. (The sampler drops its first interval after a reset.)
    delay.reset();
    const now = performance.eventLoopUtilization();
    elu.set(performance.eventLoopUtilization(now, lastElu).utilization);
    lastElu = now;

    // Types come and go; start from zero so a type that disappeared is not reported stale.
    resources.reset();
    const byType = new Map<string, number>();
    for (const type of process.getActiveResourcesInfo()) byType.set(type, (byType.get(type) ?? 0) + 1);
    for (const [type, count] of byType) resources.labels(type).set(count);
  });

  return () => {
    stopHook();
    delay.disable();
    gcObserver.disconnect();
  };
}

function countOpenFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1; // minus the descriptor readdir itself holds
  } catch {
    return undefined;
  }
}

function readMaxFds(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s+/)[3];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}
