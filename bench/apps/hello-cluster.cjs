// Hello world on node:cluster: the primary forks WORKERS workers (default 2), each serving
// bench/apps/hello.cjs's answer on PORT (the cluster hands connections round-robin). Run
// bare or under the preload (the workers inherit it through execArgv). For
// bench/cluster-throughput.ts.
const cluster = require('node:cluster');
const { createServer } = require('node:http');

const workers = Number(process.env.WORKERS ?? 2);
if (cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', (worker, address) => {
    if (++listening === workers) console.log(`listening ${address.port}`);
  });
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('hello world');
  }).listen(Number(process.env.PORT), '127.0.0.1');
}
