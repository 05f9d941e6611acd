// An express app written in CommonJS, with no observability code at all:
//   node --import @wizamart/observability/register examples/express-cjs/app.cjs
// GET /api/products/:id calls GET /api/stock/:id on itself with fetch, so one request
// gives a trace with a server span, express spans and a client span.
const express = require('express');

const app = express();

app.get('/api/products/:id', async (req, res) => {
  const stock = await fetch(`http://127.0.0.1:${server.address().port}/api/stock/${encodeURIComponent(req.params.id)}`);
  res.json({ id: req.params.id, name: `Product ${req.params.id}`, stock: await stock.json() });
});

app.get('/api/stock/:id', (req, res) => {
  res.json({ id: req.params.id, available: 7 });
});

const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '0.0.0.0', () => {
  console.log(`express-cjs listening on port ${server.address().port}`);
});
