import net from 'node:net';

/** What the proxy does to one connection, by its number (1 = the first). */
export type ProxyFault = 'pass' | 'drop-answer' | 'busy';

export interface LossyProxy {
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Connections that reached the server. */
  forwarded(): number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a real server that loses answers on purpose. `drop-answer` forwards
 * the request and cuts the connection as soon as the server's answer starts, so the server has
 * done its work and the client never hears of it. `busy` answers 503 itself, without forwarding.
 */
export async function startLossyProxy(
  target: { host: string; port: number },
  faultFor: (connection: number) => ProxyFault,
): Promise<LossyProxy> {
  let connections = 0;
  let forwarded = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    connections += 1;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const fault = faultFor(connections);
    if (fault === 'busy') {
      client.once('data', () => {
        client.end(
          'HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n' +
            'content-length: 4\r\nretry-after: 0\r\nconnection: close\r\n\r\nbusy',
        );
      });
      return;
    }
    forwarded += 1;
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    if (fault === 'drop-answer') {
      upstream.once('data', () => {
        client.resetAndDestroy();
        upstream.destroy();
      });
    } else {
      upstream.pipe(client);
    }
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    forwarded: () => forwarded,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
