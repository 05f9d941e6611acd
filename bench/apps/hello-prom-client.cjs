// The same hello world with the hand-made alternative: a prom-client request histogram.
const { createServer } = require('node:http');
const client = require('prom-client');

const duration = new client.Histogram({
  name: 'http_server_request_duration_seconds',
  help: 'Duration of HTTP server requests.',
  labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
});
client.collectDefaultMetrics();

const server = createServer((req, res) => {
  const end = duration.startTimer();
  res.on('finish', () => end({ http_request_method: req.method, http_route: '/', http_response_status_code: res.statusCode }));
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('hello world');
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
