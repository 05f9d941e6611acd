// The demo service behind `npm start`: a small express app, started with the preload
// (`node --import ./register.js examples/demo/app.mjs`), that registers a few health
// checks and a module. The app listens on PORT (3000); the SDK's own server on
// OBSERVABILITY_PORT (9464): try /health, /health/ready and /metrics there.

import express from 'express';
import { defineModule, healthRegistry, HealthStatus, registerModuleHealthChecks } from '@wizamart/observability';

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

const app = express();
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
