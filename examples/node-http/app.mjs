// A plain node:http app (no framework), as an ES module:
//   node --import @wizamart/observability/register examples/node-http/app.mjs
// GET /api/products/:id calls GET /api/stock/:id on itself with fetch. Without a framework
// there is no route template, so server spans carry the URL path only.
import { createServer } from 'node:http';

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const product = url.pathname.match(/^\/api\/products\/([^/]+)$/);
  const stock = url.pathname.match(/^\/api\/stock\/([^/]+)$/);
  if (req.method === 'GET' && product) {
    const answer = await fetch(`http://127.0.0.1:${server.address().port}/api/stock/${product[1]}`);
    send(res, 200, { id: product[1], name: `Product ${product[1]}`, stock: await answer.json() });
  } else if (req.method === 'GET' && stock) {
    send(res, 200, { id: stock[1], available: 7 });
  } else {
    send(res, 404, { error: 'not found' });
  }
});

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '0.0.0.0', () => {
  console.log(`node-http listening on port ${server.address().port}`);
});
