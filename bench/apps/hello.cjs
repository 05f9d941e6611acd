// Hello world on node:http: the app every throughput variant runs, with or without a
// preload. CommonJS, so every instrumentation patches it the standard way (the stock
// auto-instrumentations register installs no ES module hook).
const { createServer } = require('node:http');

const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('hello world');
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
