// A tiny round-robin TCP proxy for the two-node row: each accepted connection is piped to the next
// orgauth node in turn, so autocannon's keep-alive connections split evenly between the nodes. It
// runs as its own process (PORT, TARGETS="port,port") so its CPU is counted apart from the load
// generator's and the nodes'.
import net from 'node:net';
import { pathToFileURL } from 'node:url';

export function startProxy(port: number, targets: number[]): net.Server {
  if (targets.length === 0) throw new Error('proxy: no targets');
  let next = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(targets[next++ % targets.length] as number, '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(port, '127.0.0.1');
  return server;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = startProxy(Number(process.env.PORT), (process.env.TARGETS ?? '').split(',').filter(Boolean).map(Number));
  process.on('SIGTERM', () => {
    server.close();
    process.exit(0);
  });
}
