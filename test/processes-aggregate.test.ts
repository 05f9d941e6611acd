// The aggregation rules of src/processes/aggregate.ts on real facade registries (one per
// simulated process).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsRegistry } from '../src/metrics/registry.ts';
import { combine, LabelSets, PeerBook, type Snapshot } from '../src/processes/aggregate.ts';
import { snapshotOf } from '../src/processes/snapshot.ts';
import { pack, unpack } from '../src/processes/wire.ts';
import { resetWarnings } from '../src/warnings.ts';
import { captureStderr } from './helpers/stderr.ts';

function recorded(record: (registry: MetricsRegistry) => void): Snapshot {
  const registry = new MetricsRegistry();
  registry.enable();
  record(registry);
  return snapshotOf(registry);
}

function values(snapshot: Snapshot, name: string): [Record<string, unknown>, unknown][] {
  const metric = snapshot.metrics.find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((p) => [p.attributes, p.value]);
}

describe('combine', () => {
  it('sums counters and gauges per label set, merges histograms', () => {
    const a = recorded((r) => {
      r.counter('jobs_total', 'Jobs', ['queue']).labels('a').inc(2);
      r.gauge('queue_depth', 'Depth').set(4);
      r.histogram('took_seconds', 'Took', [], { buckets: [1] }).observe(0.5);
    });
    const b = recorded((r) => {
      r.counter('jobs_total', 'Jobs', ['queue']).labels('a').inc(3);
      r.counter('jobs_total', 'Jobs', ['queue']).labels('b').inc(1);
      r.gauge('queue_depth', 'Depth').set(6);
      r.histogram('took_seconds', 'Took', [], { buckets: [1] }).observe(2);
    });
    const out = combine([{ label: '1', snapshot: a }, { label: '2', snapshot: b }]);
    assert.deepEqual(values(out, 'jobs_total'), [[{ queue: 'a' }, 5], [{ queue: 'b' }, 1]]);
    assert.deepEqual(values(out, 'queue_depth'), [[{}, 10]]);
    const [[, histogram]] = values(out, 'took_seconds') as [[unknown, { buckets: { counts: number[] }; sum: number; count: number }]];
    assert.deepEqual([histogram.buckets.counts, histogram.sum, histogram.count], [[1, 1], 2.5, 2]);
  });

  it('labels per-process families by source only when more than one source has them', () => {
    const runtime = (rss: number) => recorded((r) => {
      r.gauge('process_resident_memory_bytes', 'RSS').set(rss);
      r.get('process_resident_memory_bytes')!.aggregation = 'per-process';
    });
    const two = combine([{ label: 'primary', snapshot: runtime(1) }, { label: '1', snapshot: runtime(2) }]);
    assert.deepEqual(values(two, 'process_resident_memory_bytes'), [[{ worker: 'primary' }, 1], [{ worker: '1' }, 2]]);
    const one = combine([{ label: 'primary', snapshot: runtime(1) }, { label: 'thread 2', snapshot: recorded(() => {}) }]);
    assert.deepEqual(values(one, 'process_resident_memory_bytes'), [[{}, 1]]);
  });

  it('leaves out a source whose metric has another shape, with a warning', async () => {
    resetWarnings();
    const a = recorded((r) => r.histogram('took_seconds', 'Took', [], { buckets: [1] }).observe(0.5));
    const b = recorded((r) => r.histogram('took_seconds', 'Took', [], { buckets: [2] }).observe(0.5));
    const { result, stderr } = await captureStderr(() => combine([{ label: '1', snapshot: a }, { label: '2', snapshot: b }]));
    const [[, histogram]] = values(result, 'took_seconds') as [[unknown, { count: number }]];
    assert.equal(histogram.count, 1);
    assert.match(stderr, /OBS_AGGREGATE_MISMATCH: metric "took_seconds" of 2 has another type or other buckets/);
  });
});

describe('PeerBook', () => {
  it('keeps what a departed peer counted, and forgets its gauges', () => {
    const book = new PeerBook();
    const peer = (n: number) => recorded((r) => {
      r.counter('jobs_total', 'Jobs').inc(n);
      r.gauge('busy', 'Busy').set(1);
    });
    book.update('1', '1', peer(4));
    book.update('2', '2', peer(6));
    book.depart('1');
    book.update('3', '3', peer(1));
    const out = combine(book.sources());
    assert.deepEqual(values(out, 'jobs_total'), [[{}, 11]]);
    assert.deepEqual(values(out, 'busy'), [[{}, 2]]);
  });

  it('a gauge declared per-worker keeps one series per source, labelled', () => {
    const busy = (n: number) => recorded((r) => r.gauge('busy_connections', 'Busy', ['pool'], { aggregate: 'per-worker' }).labels('db').set(n));
    const out = combine([{ label: '1', snapshot: busy(2) }, { label: '2', snapshot: busy(3) }]);
    assert.deepEqual(values(out, 'busy_connections'), [[{ pool: 'db', worker: '1' }, 2], [{ pool: 'db', worker: '2' }, 3]]);
    assert.throws(() => new MetricsRegistry().gauge('g', 'G', ['worker'], { aggregate: 'per-worker' }), /reserved|worker/);
    assert.throws(() => new MetricsRegistry().gauge('g', 'G', [], { aggregate: 'max' as 'sum' }), /aggregate must be "sum" or "per-worker", got "max"/);
  });
});

describe('the wire format between processes (src/processes/wire.ts)', () => {
  it('a packed snapshot, through JSON, unpacks to the same metrics, points, values and types', () => {
    const snapshot = recorded((r) => {
      r.counter('jobs_total', 'Jobs', ['queue']).labels('a').inc(2);
      r.counter('jobs_total', 'Jobs', ['queue']).labels('b').inc(3);
      r.gauge('queue_depth', 'Depth').set(4);
      r.histogram('took_seconds', 'Took', ['route'], { buckets: [1, 5] }).labels('/x').observe(0.5);
      r.histogram('took_seconds', 'Took', ['route'], { buckets: [1, 5] }).labels('/y').observe(7);
    });
    const sent = JSON.parse(JSON.stringify(pack(snapshot))) as ReturnType<typeof pack>;
    const back = unpack(sent);
    assert.ok(JSON.stringify(sent).length < JSON.stringify(snapshot).length, 'packed is smaller');
    assert.deepEqual(back.perProcess, snapshot.perProcess);
    assert.deepEqual(back.metrics.map((m) => [m.descriptor, m.dataPointType, 'isMonotonic' in m ? m.isMonotonic : undefined]),
      snapshot.metrics.map((m) => [m.descriptor, m.dataPointType, 'isMonotonic' in m ? m.isMonotonic : undefined]));
    // Exemplars stay in the process that recorded them (none here: no tracing); the rest is equal.
    const plain = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
    for (const name of ['jobs_total', 'queue_depth', 'took_seconds']) assert.deepEqual(plain(values(back, name)), plain(values(snapshot, name)), name);
    // What the serving process makes of it is what it made of the snapshot itself.
    assert.deepEqual(values(combine([{ label: '1', snapshot: back }, { label: '2', snapshot: back }]), 'jobs_total'), [[{ queue: 'a' }, 4], [{ queue: 'b' }, 6]]);
  });
});

describe('LabelSets', () => {
  it('a series keeps one attributes object from one aggregation to the next (the exposition caches its text by it)', () => {
    const labelSets = new LabelSets();
    const scrape = () => {
      // Fresh objects each time, as after a trip over the IPC channel.
      const snapshot = unpack(JSON.parse(JSON.stringify(pack(recorded((r) => r.counter('jobs_total', 'Jobs', ['queue']).labels('a').inc(1))))) as ReturnType<typeof pack>);
      const out = combine([{ label: '1', snapshot }], labelSets);
      labelSets.next();
      return out.metrics[0]!.dataPoints[0]!.attributes;
    };
    const first = scrape();
    assert.equal(scrape(), first);
    assert.notEqual(combine([{ label: '1', snapshot: recorded((r) => r.counter('jobs_total', 'Jobs', ['queue']).labels('a').inc(1)) }]).metrics[0]!.dataPoints[0]!.attributes, first,
      'without LabelSets, each aggregation has its own');
  });
});
