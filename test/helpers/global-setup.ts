/**
 * The run's MongoDB-compatible server, started when the first test file asks for it, so a run
 * of files that need no database starts none: MONGODB_URI when set (a real MongoDB), else the
 * mongo-java-server stand-in in memory. Files ask through test/helpers/db.ts, which reads the
 * address from a small HTTP endpoint here (inject('mongoBroker')); each works in a database
 * of its own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { startStandIn, type LocalServer } from '../../src/db/local-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoBroker: string;
  }
}

let server: LocalServer | null = null;
let starting: Promise<string> | null = null;
let broker: Server | null = null;

function databaseUri(): Promise<string> {
  const external = process.env.MONGODB_URI?.trim();
  if (external) return Promise.resolve(external);
  // Tests run on fixed clocks, many days in the past: the stand-in's TTL monitor, on the real
  // clock, would delete their drafts and sessions in the middle of a long run. It has a test
  // of its own (test/foundation/standin-ttl.test.ts); here it waits a day.
  starting ??= startStandIn(undefined, { ttlMonitorMs: 24 * 3600_000 }).then((s) => (server = s).uri);
  return starting;
}

export async function setup(project: TestProject): Promise<void> {
  broker = createServer((_req, res) => {
    databaseUri().then(
      (uri) => res.writeHead(200, { 'content-type': 'text/plain' }).end(uri),
      (err: Error) => res.writeHead(503, { 'content-type': 'text/plain' }).end(err.message),
    );
  });
  await new Promise<void>((resolve) => broker!.listen(0, '127.0.0.1', resolve));
  project.provide('mongoBroker', `http://127.0.0.1:${(broker.address() as AddressInfo).port}/`);
}

export async function teardown(): Promise<void> {
  broker?.closeAllConnections();
  broker?.close();
  await starting?.catch(() => undefined);
  await server?.stop();
}
