// The demo service behind `npm start`: a small express app, started with the preload
// (`node --import ./register.js examples/demo/app.mjs`), that registers a few health
// checks and a module. The app listens on PORT (3000); the SDK's own server on
// OBSERVABILITY_PORT (9464): try /health, /health/ready and /metrics there.

import express from 'express';
import {
  defineModule, healthRegistry, HealthStatus, metricsRegistry, registerModuleHealthChecks,
} from '@wizamart/observability';

const started = Date.now();

// A critical dependency: readiness fails when it does.
healthRegistry.register('database', async (signal) => {
  await new Promise((resolve) => setTimeout(resolve, 2));
  signal.throwIfAborted();
  return { status: HealthStatus.HEALTHY, message: 'Database connection OK', details: { pool: 'primary' } };
});

// A non-critical one: when it fails the service is DEGRADED but stays ready.
healthRegistry.register('recommendations', () => ({
  status: HealthStatus.DEGRADED,
  message: 'serving cached recommendations',
}), { critical: false });

// A module with the spec's { status, message } health check.
defineModule({
  code: 'billing',
  name: 'Billing',
  healthCheck: () => ({ status: 'healthy', message: `up ${Math.round((Date.now() - started) / 1000)} s` }),
});
registerModuleHealthChecks();

// The spec's metrics, declared at module load: they record once metrics are enabled
// (npm start sets ENABLE_METRICS=true) and cost next to nothing when they are not.
const requests = metricsRegistry.counter('http_requests_total', 'Total HTTP requests', ['method', 'endpoint', 'status']);
const latency = metricsRegistry.histogram('http_request_duration_seconds', 'HTTP request latency', ['endpoint'],
  { buckets: [0.01, 0.05, 0.1, 0.5, 1.0, 5.0] });
const activeConnections = metricsRegistry.gauge('active_connections', 'Number of active connections', ['pool']);
activeConnections.labels({ pool: 'database' }).set(42);

const app = express();
app.use((req, res, next) => {
  const stop = latency.labels({ endpoint: req.path.startsWith('/api/products') ? '/api/products' : req.path }).startTimer();
  res.on('finish', () => {
    stop();
    requests.labels({ method: req.method, endpoint: req.route?.path ?? req.path, status: String(res.statusCode) }).inc();
  });
  next();
});
app.get('/', (_req, res) => {
  res.json({ service: 'demo', try: ['/api/products/1', 'http://127.0.0.1:9464/health', 'http://127.0.0.1:9464/metrics'] });
});
app.get('/api/products/:id', (req, res) => {
  res.json({ id: req.params.id, name: `Product ${req.params.id}` });
});

const port = Number(process.env.PORT ?? 3000);
const server = app.listen(port, () => {
  const { port: actual } = server.address();
  console.log(`demo listening on http://127.0.0.1:${actual}`);
});
