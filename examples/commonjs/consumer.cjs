// A CommonJS app using the SDK through require() (Node >= 22.12 loads the ES module entry).

const { healthRegistry, HealthStatus, initObservability, shutdownObservability } = require('@wizamart/observability');

healthRegistry.register('database', () => ({ status: HealthStatus.HEALTHY, message: 'Connection OK' }));

initObservability({ port: 0, host: '127.0.0.1' }).then(async ({ server }) => {
  const response = await fetch(`http://127.0.0.1:${server.port}/health`);
  console.log(JSON.stringify({ status: response.status, body: await response.json() }));
  await shutdownObservability();
});
