import net, { type Server, type Socket } from 'node:net';

/**
 * What the proxy does with traffic:
 * - `forward`: a transparent pipe to the target.
 * - `refuse`: every open connection is reset and new ones are closed at once — Postgres down,
 *   host up (ECONNREFUSED / "Connection terminated unexpectedly" for the client).
 * - `blackhole`: open connections are reset, new ones are accepted but never answered — a
 *   partitioned network; only the client's own connect timeout ends the wait.
 * - `stall`: like `blackhole`, but open connections stay open and silently stop carrying
 *   bytes — a partition in the middle of a query; only a client-side query timeout ends it.
 */
export type ProxyMode = 'forward' | 'refuse' | 'blackhole' | 'stall';

export interface TcpProxy {
  /** Port on 127.0.0.1 that forwards to the target. */
  readonly port: number;
  /** Connections accepted since start (all modes). */
  readonly accepted: number;
  mode(next: ProxyMode): void;
  /** Resets every open connection (both sides), whatever the mode. */
  killConnections(): void;
  close(): Promise<void>;
}

/**
 * A small TCP proxy on 127.0.0.1 for fault tests: put it between the TSP and the shared
 * Postgres, then make the database "disappear" for this TSP only — the server itself, which
 * other test files use, is never touched.
 *
 * @example
 * ```ts
 * const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
 * proxy.mode('refuse');   // Postgres unreachable
 * proxy.mode('forward');  // back
 * await proxy.close();
 * ```
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let current: ProxyMode = 'forward';
  let accepted = 0;
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = net.createServer((client) => {
    accepted++;
    track(client);
    if (current === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (current === 'blackhole' || current === 'stall') return; // held open, nothing forwarded, until killed
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    // Bytes are dropped, not buffered, while stalled: a partition loses packets.
    client.on('data', (chunk) => {
      if (current !== 'stall') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (current !== 'stall') client.write(chunk);
    });
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const killConnections = () => {
    for (const socket of [...open]) socket.resetAndDestroy();
  };
  return {
    port,
    get accepted() {
      return accepted;
    },
    mode(next) {
      current = next;
      if (next === 'refuse' || next === 'blackhole') killConnections();
    },
    killConnections,
    async close() {
      killConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `url` with its host and port replaced by the proxy's. */
export function viaProxy(url: string, proxy: Pick<TcpProxy, 'port'>): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(proxy.port);
  return parsed.toString();
}
