/**
 * A TCP proxy in front of the test database, to break the connection between the service and
 * its database in ways a real network or a dying server does.
 *
 *   const proxy = await tcpProxy({ host: '127.0.0.1', port: 27017 });
 *   // connect to 127.0.0.1:<proxy.port>
 *   proxy.freeze();   // the connections open now go silent both ways, never closed (new ones work)
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections open now stop passing bytes in either direction and are never closed: a peer gone silent. Later connections pass. */
  freeze(): void;
  /** Connections passed since the proxy started. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const links = new Set<{ client: net.Socket; upstream: net.Socket; frozen: boolean }>();
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(target.port, target.host);
    const link = { client, upstream, frozen: false };
    links.add(link);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      links.delete(link);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => void (link.frozen || upstream.write(chunk)));
    upstream.on('data', (chunk: Buffer) => void (link.frozen || client.write(chunk)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze() {
      for (const link of links) link.frozen = true;
    },
    get connections() {
      return connections;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const link of links) {
          link.client.destroy();
          link.upstream.destroy();
        }
      });
    },
  };
}
