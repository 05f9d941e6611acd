// deploy/prometheus/alerts.yml against the SDK's real output: every metric and label name
// the rules and their unit tests use must be in a real scrape of the demo app, promtool
// must accept the rules and pass the unit tests, and the alerts must fire (and stay quiet)
// on series generated from that same scrape. promtool is required, not optional: CI
// installs it (apt-get install prometheus), and a missing binary fails these tests.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { HEALTH_STATUS_VALUE } from '../src/metrics/health.ts';
import {
  type Sample, type Scrape, TARGET_LABELS, promqlNames, requireBinary, run, scrapeDemo, unknownNames,
} from './helpers/scrape.ts';

const DIR = fileURLToPath(new URL('../deploy/prometheus/', import.meta.url));
const ALERTS = join(DIR, 'alerts.yml');
const UNIT_TESTS = join(DIR, 'alerts.test.yml');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RulesFile { groups: { name: string; rules: Rule[] }[] }
interface InputSeries { series: string; values: string }
interface AlertTest { eval_time: string; alertname: string; exp_alerts?: { exp_labels?: Record<string, string> }[] }
interface UnitTestFile { rule_files: string[]; tests: { input_series: InputSeries[]; alert_rule_test?: AlertTest[] }[] }

const rulesFile = parse(readFileSync(ALERTS, 'utf8')) as RulesFile;
const alerts = rulesFile.groups.flatMap((group) => group.rules).filter((rule): rule is Rule & { alert: string } => rule.alert !== undefined);
const unitTests = parse(readFileSync(UNIT_TESTS, 'utf8')) as UnitTestFile;

/** What the issue asks alerts for, by the names the rules file gives them. */
const REQUIRED_ALERTS = [
  'HealthCheckUnhealthy', 'NonCriticalHealthCheckUnhealthy', 'ServiceDegraded', 'ReadinessFlapping', 'HttpErrorRateHigh',
  'HttpLatencyP99High', 'EventLoopLagHigh', 'ScrapeDown',
];

/** `name{a="b",…}` as PromQL and promtool's series notation spell it; empty values are absent labels. */
function seriesOf(name: string, labels: Record<string, string>): string {
  const pairs = Object.entries(labels).filter(([, value]) => value !== '').map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return `${name}{${pairs.join(',')}}`;
}

/** The labels of a selector-like series string (values unescaped loosely: enough for comparisons). */
function labelsOf(series: string): Record<string, string> {
  const body = /\{(.*)\}/.exec(series)?.[1] ?? '';
  return Object.fromEntries([...body.matchAll(/([a-zA-Z_]\w*)\s*=\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
}

const bound = (le: string) => (le === '+Inf' ? Infinity : Number(le));
const byNumber = (a: string, b: string) => bound(a) - bound(b);

describe('deploy/prometheus/alerts.yml', () => {
  let scrape: Scrape;
  let dir: string;

  before(async () => {
    scrape = await scrapeDemo();
    dir = mkdtempSync(join(tmpdir(), 'alerts-test-'));
  });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('has the alerts the issue asks for, each with a severity, a summary and a description', () => {
    assert.deepEqual(alerts.map((rule) => rule.alert).sort(), [...REQUIRED_ALERTS].sort());
    for (const rule of alerts) {
      assert.match(rule.labels?.severity ?? '', /^(critical|warning)$/, `${rule.alert} severity`);
      assert.ok(rule.annotations?.summary && rule.annotations.description, `${rule.alert} annotations`);
      assert.match(rule.annotations.summary, /\{\{ \$labels\.\w+/, `${rule.alert}: the summary names what is failing`);
    }
  });

  it('uses only metric and label names a real scrape of the SDK has', () => {
    assert.ok(scrape.samples.length > 0, 'the scrape has samples');
    const problems = alerts.flatMap((rule) => unknownNames(rule.expr, scrape, rule.alert));
    for (const rule of alerts) {
      // Annotations may only read labels the alert can carry.
      const { selectors, grouping } = promqlNames(rule.expr);
      const carried = new Set([...TARGET_LABELS, ...grouping, ...selectors.flatMap((s) => [...(scrape.labels.get(s.metric) ?? [])])]);
      for (const text of Object.values(rule.annotations ?? {})) {
        for (const [, label] of text.matchAll(/\$labels\.(\w+)/g)) {
          if (!carried.has(label!)) problems.push(`${rule.alert}: annotation reads $labels.${label}, which its series never carry`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('feeds its unit tests only series the SDK serves, spelled as it serves them', () => {
    const problems: string[] = [];
    const statusValues = new Set(Object.values(HEALTH_STATUS_VALUE).map(String));
    const histograms = new Map<string, Set<string>>(); // series without le -> le values fed
    unitTests.tests.forEach((test, t) => {
      for (const { series, values } of test.input_series) {
        const where = `alerts.test.yml test ${t + 1} ${series}`;
        problems.push(...unknownNames(series, scrape, where));
        const metric = promqlNames(series).selectors[0]?.metric ?? '';
        const labels = labelsOf(series);
        if (metric.endsWith('_bucket')) {
          const { le, ...rest } = labels;
          const key = `${t}:${seriesOf(metric, rest)}`;
          histograms.set(key, (histograms.get(key) ?? new Set()).add(le ?? '(none)'));
        }
        if (metric === 'health_check_status') {
          // Only the values the SDK sets: a constant per token (`v` or `vxN`), or a gap.
          for (const token of values.split(/\s+/)) {
            const constant = /^(-?[\d.]+)(?:x\d+)?$/.exec(token);
            if (/^_(x\d+)?$/.test(token)) continue;
            if (!constant || !statusValues.has(String(Number(constant[1])))) problems.push(`${where}: value ${token} is not one the SDK sets`);
          }
        }
      }
    });
    for (const [key, fed] of histograms) {
      const metric = /^\d+:([^{]+)/.exec(key)![1]!;
      const real = [...(scrape.buckets.get(metric) ?? [])].sort(byNumber);
      assert.ok(real.length > 0, `the scrape has ${metric} buckets`);
      assert.deepEqual([...fed].sort(byNumber), real, `${key}: the bucket bounds the SDK serves, spelled as it spells them`);
    }
    assert.deepEqual(problems, []);
  });

  it('unit-tests every alert both firing and silent', () => {
    for (const name of alerts.map((rule) => rule.alert)) {
      const evals = unitTests.tests.flatMap((test) => test.alert_rule_test ?? []).filter((e) => e.alertname === name);
      assert.ok(evals.some((e) => (e.exp_alerts ?? []).length > 0), `${name} has a test where it fires`);
      assert.ok(evals.some((e) => (e.exp_alerts ?? []).length === 0), `${name} has a test where it stays silent`);
    }
  });

  it("is documented with each alert's for duration and severity", () => {
    // docs/kubernetes-monitoring.md, or wherever its alerts table has been merged to.
    const docsDir = fileURLToPath(new URL('../docs/', import.meta.url));
    const docs = readdirSync(docsDir).filter((f) => f.endsWith('.md')).map((f) => readFileSync(join(docsDir, f), 'utf8'));
    const doc = docs.find((text) => /^\| `HealthCheckUnhealthy` \|/m.test(text));
    assert.ok(doc, 'a doc in docs/ has the alerts table');
    for (const rule of alerts) {
      const row = new RegExp(`^\\| \`${rule.alert}\` \\|.*\\| (.+?) \\| (\\w+) \\|$`, 'm').exec(doc);
      assert.ok(row, `the alerts table has a row for ${rule.alert}`);
      assert.equal(row[1]!.startsWith('—') ? undefined : row[1], rule.for, `${rule.alert}: documented for`);
      assert.equal(row[2], rule.labels?.severity, `${rule.alert}: documented severity`);
    }
  });

  it('passes promtool check rules', async () => {
    const promtool = requireBinary('promtool');
    const result = await run(promtool, ['check', 'rules', ALERTS]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, new RegExp(`SUCCESS: ${alerts.length} rules found`));
  });

  it('passes its promtool unit tests (alerts.test.yml)', async () => {
    const promtool = requireBinary('promtool');
    const result = await run(promtool, ['test', 'rules', UNIT_TESTS]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /SUCCESS/);
  });

  it('fires on the demo\'s own series: quiet when healthy, every alert on injected faults', async () => {
    const promtool = requireBinary('promtool');
    const target = { job: 'demo', instance: '127.0.0.1:9464' };
    const steps = 30; // minutes of data; alerts are evaluated at minute 20
    const rate = 60; // each real count becomes a per-minute increment, enough for the volume guards
    const number = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(9).replace(/\.?0+$/, ''));
    const cumulative = (sample: Sample) => {
      const family = sample.name.replace(/_(bucket|count|sum)$/, '');
      return scrape.types.get(sample.name) === 'counter' || (family !== sample.name && scrape.types.get(family) === 'histogram');
    };
    const realSeries = (sample: Sample) => ({
      series: seriesOf(sample.name, { ...sample.labels, ...target }),
      values: cumulative(sample) ? `0+${number(sample.value * rate)}x${steps}` : `${number(sample.value)}x${steps}`,
    });
    const severity = (name: string) => alerts.find((rule) => rule.alert === name)!.labels!.severity!;
    const expect = (alertname: string, labels: Record<string, string>[]) => ({
      eval_time: '20m',
      alertname,
      exp_alerts: labels.map((l) => ({ exp_labels: { ...l, severity: severity(alertname) } })),
    });
    const expectNone = (overrides: Record<string, ReturnType<typeof expect>>) =>
      alerts.map((rule) => overrides[rule.alert] ?? expect(rule.alert, []));

    const checks = scrape.samples.filter((s) => s.name === 'health_check_status');
    const checkLabels = (s: Sample) => ({ ...s.labels, ...target });
    const lagThreshold = Number(/> ([\d.]+)\s*$/.exec(alerts.find((r) => r.alert === 'EventLoopLagHigh')!.expr)![1]);
    const lag = scrape.samples.find((s) => s.name === 'nodejs_eventloop_lag_p99_seconds');
    assert.ok(lag, 'the scrape has the event loop lag p99');

    // 1. The scrape as it is, steady for 30 minutes (plus the `up` Prometheus adds).
    const healthy = [...scrape.samples.map(realSeries), { series: seriesOf('up', target), values: `1x${steps}` }];
    const baseline = expectNone({
      HealthCheckUnhealthy: expect('HealthCheckUnhealthy',
        checks.filter((s) => s.value === 0 && s.labels.critical === 'true').map(checkLabels)),
      NonCriticalHealthCheckUnhealthy: expect('NonCriticalHealthCheckUnhealthy',
        checks.filter((s) => s.value === 0 && s.labels.critical === 'false').map(checkLabels)),
      ServiceDegraded: expect('ServiceDegraded', checks.filter((s) => s.value > 0 && s.value < 1).map(checkLabels)),
      EventLoopLagHigh: expect('EventLoopLagHigh', lag.value > lagThreshold ? [target] : []),
    });

    // 2. Faults injected into the same series.
    const failing = checks.find((s) => s.value === 1 && s.labels.critical === 'true');
    // The demo's optional dependency fails outright.
    const optional = checks.find((s) => s.labels.critical === 'false');
    // Another check flaps; a healthy one if there is one, so a degraded check stays degraded.
    const flapping = checks.find((s) => s !== failing && s !== optional && s.value === 1)
      ?? checks.find((s) => s !== failing && s !== optional);
    assert.ok(failing && flapping && optional,
      `the demo has a healthy critical check, a non-critical one and another: ${checks.map((s) => s.labels.check).join(', ')}`);
    const route = scrape.samples.find((s) => s.name === 'http_server_request_duration_seconds_count'
      && s.labels.http_route && /^2/.test(s.labels.http_response_status_code ?? ''));
    assert.ok(route, 'the scrape has a matched route that answered 2xx');
    const sameRequests = (s: Sample) => s.name.startsWith('http_server_request_duration_seconds_')
      && s.labels.http_route === route.labels.http_route && s.labels.http_response_status_code === route.labels.http_response_status_code;
    const faulty = scrape.samples.map((sample) => {
      const series = realSeries(sample);
      if (sample === failing) return { ...series, values: `1x4 0x${steps - 5}` };
      if (sample === optional) return { ...series, values: `0x${steps}` };
      if (sample === flapping) {
        const up = number(sample.value || 1);
        return { ...series, values: Array.from({ length: steps + 1 }, (_, i) => (i % 2 === 0 ? up : '0')).join(' ') };
      }
      if (sample === lag) return { ...series, values: `0.5x${steps}` };
      return series;
    });
    // The route's requests again, answered 500 and slowly (1-2.5 s): half of its traffic.
    for (const sample of scrape.samples.filter(sameRequests)) {
      const slow = { ...sample.labels, ...target, http_response_status_code: '500' };
      const count = number(route.value * rate);
      let values = `0+${count}x${steps}`;
      if (sample.name.endsWith('_sum')) values = `0+${number(route.value * rate * 2)}x${steps}`;
      if (sample.name.endsWith('_bucket') && bound(sample.labels.le ?? '+Inf') < 2.5) values = `0x${steps}`;
      faulty.push({ series: seriesOf(sample.name, slow), values });
    }
    faulty.push({ series: seriesOf('up', target), values: `1 1 0x${steps - 2}` });
    const routeAlert = [{ job: target.job, http_route: route.labels.http_route! }];
    const injected = expectNone({
      HealthCheckUnhealthy: expect('HealthCheckUnhealthy', [checkLabels(failing)]),
      NonCriticalHealthCheckUnhealthy: expect('NonCriticalHealthCheckUnhealthy', [checkLabels(optional)]),
      ServiceDegraded: expect('ServiceDegraded',
        checks.filter((s) => s !== failing && s !== flapping && s !== optional && s.value > 0 && s.value < 1).map(checkLabels)),
      ReadinessFlapping: expect('ReadinessFlapping', [checkLabels(flapping)]),
      HttpErrorRateHigh: expect('HttpErrorRateHigh', routeAlert),
      HttpLatencyP99High: expect('HttpLatencyP99High', routeAlert),
      EventLoopLagHigh: expect('EventLoopLagHigh', [target]),
      ScrapeDown: expect('ScrapeDown', [target]),
    });
    const silent = (evals: typeof injected) => new Set(evals.filter((e) => e.exp_alerts.length === 0).map((e) => e.alertname));
    assert.deepEqual([...silent(injected)].filter((name) => silent(baseline).has(name)), [],
      'every alert fires on the real series, as they are or with the faults injected');

    // The same rules without annotations (their text is checked by alerts.test.yml).
    const bare: RulesFile = {
      groups: rulesFile.groups.map((group) => ({ ...group, rules: group.rules.map(({ annotations: _, ...rule }) => rule) })),
    };
    writeFileSync(join(dir, 'alerts.yml'), stringify(bare));
    writeFileSync(join(dir, 'real.test.yml'), stringify({
      rule_files: ['alerts.yml'],
      evaluation_interval: '1m',
      tests: [
        { interval: '1m', input_series: healthy, alert_rule_test: baseline },
        { interval: '1m', input_series: faulty, alert_rule_test: injected },
      ],
    }, { lineWidth: 0 }));
    const result = await run(promtool, ['test', 'rules', join(dir, 'real.test.yml')]);
    assert.equal(result.code, 0, `${result.output}\n(generated test: ${join(dir, 'real.test.yml')})`);
  });
});
