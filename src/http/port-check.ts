// Is the listen address free? Checked before the data folder, the master key or the database are
// touched, so a second start on a busy port changes nothing and says why in one line.
import net from 'node:net';
import { ConfigError } from '../config.js';

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'is already in use (another orgauth or another program listens there)',
  EACCES: 'needs privileges this process does not have (use a port above 1023, or a reverse proxy)',
  EADDRNOTAVAIL: 'is not an address of this machine',
};

export async function assertListenAddressFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const reason = REASONS[error.code ?? ''] ?? `cannot be listened on (${error.code ?? error.message})`;
      reject(new ConfigError(`${host}:${port} (HOST, PORT) ${reason}`));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
