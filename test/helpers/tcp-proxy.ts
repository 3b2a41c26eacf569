/**
 * A TCP proxy in front of the test database, to break the connection between the service and
 * its database in ways a real network or a dying server does.
 *
 *   const proxy = await tcpProxy({ host: '127.0.0.1', port: 27017 });
 *   // connect to 127.0.0.1:<proxy.port>
 *   proxy.freeze();   // the connections open now go silent both ways, never closed (new ones work)
 *   proxy.freezeNext('findAndModify');   // the next such request gets no answer
 *   await proxy.cut(); await proxy.restore();   // connections dropped, new ones refused; then back on the same port
 */
import net from 'node:net';
import { uniqueDatabaseUri } from './db.js';

export interface TcpProxy {
  port: number;
  /** Connections open now stop passing bytes in either direction and are never closed: a peer gone silent. Later connections pass. */
  freeze(): void;
  /** The next request containing `marker` (e.g. a command name) goes unanswered: its connection goes silent as freeze() does. Once. */
  freezeNext(marker: string): void;
  /** Drops every connection and refuses new ones (the database gone). */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** Connections passed since the proxy started. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const links = new Set<{ client: net.Socket; upstream: net.Socket; frozen: boolean }>();
  let connections = 0;
  let freezeMarker: Buffer | null = null;
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
    client.on('data', (chunk: Buffer) => {
      if (freezeMarker && chunk.includes(freezeMarker)) {
        freezeMarker = null;
        link.frozen = true;
      }
      if (!link.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => void (link.frozen || client.write(chunk)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const cut = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const link of links) {
        link.client.destroy();
        link.upstream.destroy();
      }
    });
  return {
    port,
    freeze() {
      for (const link of links) link.frozen = true;
    },
    freezeNext(marker) {
      freezeMarker = Buffer.from(marker);
    },
    cut,
    restore: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    get connections() {
      return connections;
    },
    async close() {
      if (server.listening) await cut();
    },
  };
}

/** A database of its own on the test server, reached through a proxy: the proxy and the URI to connect to. */
export async function proxiedTestDatabase(): Promise<{ proxy: TcpProxy; uri: string }> {
  const uri = new URL(uniqueDatabaseUri());
  const proxy = await tcpProxy({ host: uri.hostname, port: Number(uri.port || 27017) });
  uri.host = `127.0.0.1:${proxy.port}`;
  uri.searchParams.set('directConnection', 'true');
  return { proxy, uri: uri.toString() };
}
