// deploy/grafana/dashboard.json against the SDK's real output: every PromQL expression of
// its panels and variables uses metric and label names a real scrape of the demo has,
// promtool accepts every expression (written as recording rules), and a real Prometheus
// scraping the demo returns data for every one. promtool and prometheus are required,
// not optional: CI installs them (apt-get install prometheus); missing, these tests fail.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startPrometheus } from './helpers/prometheus.ts';
import {
  type Demo, type Scrape, TARGET_LABELS, promqlNames, requireBinary, run, startDemo, unknownNames,
} from './helpers/scrape.ts';

interface Target { refId: string; expr: string; exemplar?: boolean; datasource?: { type?: string; uid?: string } }
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  type: string;
  name: string;
  query: string | { query: string };
  datasource?: { type?: string; uid?: string };
  multi?: boolean;
  includeAll?: boolean;
}
interface Dashboard { schemaVersion: number; uid: string; title: string; panels: Panel[]; templating: { list: Variable[] } }

const FILE = new URL('../deploy/grafana/dashboard.json', import.meta.url);
const dashboard = JSON.parse(readFileSync(FILE, 'utf8')) as Dashboard;
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
const queries = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));
const variables = dashboard.templating.list;
const DATASOURCE = '${datasource}';

/** Grafana's variables with concrete values, as Grafana would send the query. */
function substitute(expr: string, values: { job: string; instance: string }): string {
  const result = expr
    .replace(/\$\{?__rate_interval\}?/g, '1m')
    .replace(/\$\{?__interval\}?/g, '1m')
    .replace(/\$\{?__range\}?/g, '1h')
    .replace(/\$\{?job\}?/g, values.job)
    .replace(/\$\{?instance\}?/g, values.instance);
  assert.doesNotMatch(result, /\$/, `a variable left in ${result}`);
  return result;
}

const queryOf = (variable: Variable) => (typeof variable.query === 'string' ? variable.query : variable.query.query);
const exprsOf = (values: { job: string; instance: string }) =>
  queries.map(({ panel, target }) => ({ where: `panel ${panel.id} "${panel.title}" ${target.refId}`, expr: substitute(target.expr, values) }));

describe('deploy/grafana/dashboard.json', () => {
  let demo: Demo;
  let scrape: Scrape;
  let dir: string;

  before(async () => {
    demo = await startDemo();
    await demo.traffic();
    scrape = await demo.scrape();
    dir = mkdtempSync(join(tmpdir(), 'dashboard-test-'));
  });
  after(async () => {
    await demo?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is a current dashboard with a Prometheus data source variable and job/instance variables', () => {
    assert.ok(dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41, `schemaVersion ${dashboard.schemaVersion}`);
    assert.ok(dashboard.uid && dashboard.title);
    const byName = new Map(variables.map((v) => [v.name, v]));
    assert.equal(byName.get('datasource')?.type, 'datasource');
    assert.equal(byName.get('datasource')?.query, 'prometheus');
    for (const name of ['job', 'instance']) {
      assert.equal(byName.get(name)?.type, 'query', name);
      assert.equal(byName.get(name)?.datasource?.uid, DATASOURCE, `${name} queries the selected data source`);
    }
    const ids = panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const panel of panels) {
      assert.ok(panel.gridPos, `panel ${panel.id} has a position`);
      if (panel.type === 'row') continue;
      assert.equal(panel.datasource?.uid, DATASOURCE, `panel ${panel.id} uses the data source variable`);
      assert.ok((panel.targets ?? []).length > 0, `panel ${panel.id} has queries`);
      for (const target of panel.targets ?? []) assert.equal(target.datasource?.uid, DATASOURCE, `panel ${panel.id} ${target.refId}`);
    }
  });

  it('has RED panels per route, health per check and the runtime panels', () => {
    const all = queries.map(({ panel, target }) => ({ type: panel.type, expr: target.expr.replace(/\s+/g, ' ') }));
    const perRoute = all.filter((q) => promqlNames(substitute(q.expr, { job: 'j', instance: 'i' })).grouping.includes('http_route'));
    assert.ok(perRoute.some((q) => /rate\(http_server_request_duration_seconds_count\{/.test(q.expr) && !/5\.\./.test(q.expr)), 'request rate by route');
    assert.ok(perRoute.some((q) => /http_response_status_code=~"5\.\."/.test(q.expr) && / \/ /.test(q.expr)), '5xx ratio by route');
    for (const quantile of ['0.5', '0.99']) {
      assert.ok(perRoute.some((q) => q.expr.startsWith(`histogram_quantile(${quantile}, `) && /_bucket\{/.test(q.expr)), `p${Number(quantile) * 100} by route`);
    }
    assert.ok(all.some((q) => /^(state-timeline|table)$/.test(q.type) && /health_check_status\{/.test(q.expr)), 'health status per check');
    for (const metric of [
      'nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_utilization_ratio', 'nodejs_heap_size_used_bytes',
      'nodejs_heap_size_total_bytes', 'process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_gc_duration_seconds_sum',
    ]) {
      assert.ok(all.some((q) => q.expr.includes(`${metric}{`)), `a panel shows ${metric}`);
    }
  });

  it('latency panels show exemplars (Prometheus stores them from the OpenMetrics scrape; docs/metrics.md)', () => {
    const latency = queries.filter(({ target }) => /^histogram_quantile\(.*_bucket\{/.test(target.expr));
    assert.ok(latency.length >= 2);
    for (const { panel, target } of latency) assert.equal(target.exemplar, true, `panel ${panel.id} "${panel.title}" ${target.refId}`);
  });

  it('uses only metric and label names a real scrape of the SDK has, filtered by job and instance', () => {
    const problems: string[] = [];
    for (const { where, expr } of exprsOf({ job: 'demo', instance: '127.0.0.1:9464' })) {
      problems.push(...unknownNames(expr, scrape, where));
      for (const { metric, labels } of promqlNames(expr).selectors) {
        if (!labels.includes('job') || !labels.includes('instance')) problems.push(`${where}: ${metric} is not filtered by $job and $instance`);
      }
    }
    for (const variable of variables.filter((v) => v.type === 'query')) {
      const query = substitute(queryOf(variable), { job: 'demo', instance: '127.0.0.1:9464' });
      const match = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
      assert.ok(match, `variable ${variable.name}: a label_values(metric, label) query, got ${query}`);
      problems.push(...unknownNames(match[1]!, scrape, `variable ${variable.name}`));
      const metric = promqlNames(match[1]!).selectors[0]!.metric;
      if (!TARGET_LABELS.has(match[2]!) && !scrape.labels.get(metric)?.has(match[2]!)) problems.push(`variable ${variable.name}: ${metric} has no label ${match[2]}`);
    }
    assert.deepEqual(problems, []);
  });

  it('passes promtool check rules with every expression as a recording rule', async () => {
    const promtool = requireBinary('promtool');
    const rules = exprsOf({ job: 'demo', instance: '127.0.0.1:9464' }).map(({ expr }, i) => ({ record: `dashboard:query_${i}`, expr }));
    const file = join(dir, 'dashboard-rules.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }, { lineWidth: 0 }));
    const result = await run(promtool, ['check', 'rules', file]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it('shows data for every query when a real Prometheus scrapes the demo', async () => {
    requireBinary('prometheus');
    const port = Number(new URL(demo.observabilityUrl).port);
    const prometheus = await startPrometheus(port); // job "sdk", every second
    try {
      await prometheus.waitForScrape();
      await demo.traffic();
      const pending = new Map(exprsOf({ job: 'sdk', instance: `127.0.0.1:${port}` }).map((q) => [q.expr, q.where]));
      const deadline = Date.now() + 10_000;
      // rate() needs two scrapes of a series; poll until every query has a result.
      while (pending.size > 0 && Date.now() < deadline) {
        for (const expr of [...pending.keys()]) {
          if ((await prometheus.query(expr)).length > 0) pending.delete(expr);
        }
        if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.deepEqual([...pending.values()], [], 'queries without data');
    } finally {
      await prometheus.stop();
    }
  });
});
