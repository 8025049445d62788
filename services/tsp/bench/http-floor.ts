import cluster from 'node:cluster';
import http from 'node:http';

/**
 * The HTTP floor: a bare `node:http` server (one process per worker, like the TSP) answering
 * every POST with a fixed JSON body of the size the TSP's detokenize answer has. Whatever the
 * TSP loses against this is the cost of our own stack (Express, validation, auth, SQL, crypto).
 *
 * Usage: tsx http-floor.ts <port> <workers> <bodyBytes>
 */
const [portArg, workersArg, sizeArg] = process.argv.slice(2);
const port = Number(portArg ?? 0);
const workers = Number(workersArg ?? 1);
const size = Number(sizeArg ?? 700);

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const body = JSON.stringify({ padding: 'x'.repeat(Math.max(0, size - 14)) });
  http
    .createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    })
    .listen(port, '127.0.0.1', () => process.send?.('listening'));
  process.on('SIGTERM', () => process.exit(0));
}
