/**
 * The database client's watchdog (src/db/watchdog.ts) in the running service, on MONGODB_URI:
 * the service talks to its database through a TCP proxy that can make every connection open at
 * one moment go silent (neither answered nor closed), while new connections work: the database
 * is there, the service's client is not. The driver would wait for its own timeouts (the
 * monitor's 30 s, and for ever for operations on those connections); the watchdog sees a fresh
 * client answer while ours does not, and recreates ours in place.
 */
import mongoose from 'mongoose';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { proxiedTestDatabase, type TcpProxy } from '../helpers/tcp-proxy.js';

let proxy: TcpProxy;
let service: RunningService;
let base: string;

beforeAll(async () => {
  const db = await proxiedTestDatabase();
  proxy = db.proxy;
  const config = loadConfig({ MONGODB_URI: db.uri, PORT: '0', SIMULATOR: 'on', DATABASE_STUCK_SECONDS: '3' });
  service = await startService(config, createLogger({ level: 'silent' }), { cron: false });
  base = `http://127.0.0.1:${service.port}`;
});

afterAll(async () => {
  await mongoose.connection.db?.dropDatabase().catch(() => undefined);
  await service?.stop();
  await proxy?.close();
});

const readyz = async () => (await request(base).get('/readyz').timeout(10_000).catch(() => ({ status: 0 }))).status;

/** Polls until `condition` holds; fails after `ms`. */
async function until(condition: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let people = 0;
/** A new person says "halo" in the simulator: the answer is the registration's consent question. */
async function newPersonIsAnswered(): Promise<string> {
  const session = await request(base).post('/simulator/api/session').set('x-forwarded-for', `198.51.100.${++people}`).expect(201);
  const res = await request(base)
    .post('/simulator/api/send')
    .timeout(15_000)
    .send({ sessionId: session.body.sessionId, messageId: `watchdog-${people}-00000`, content: { kind: 'text', text: 'halo' } })
    .expect(200);
  const replies = (res.body as { replies: ({ text: string; choices?: { label: string }[] } | null)[] }).replies.filter((r) => r !== null);
  return replies.map((r) => `${r!.text} [${(r!.choices ?? []).map((c) => c.label).join('|')}]`).join('\n');
}

it('connections gone silent while the database answers new ones: the client is recreated, /readyz 200 and people answered again within 20 s', async () => {
  expect(await readyz()).toBe(200);
  expect(await newPersonIsAnswered()).toMatch(/\[Ya\|Tidak/);

  proxy.freeze();
  const frozenAt = Date.now();
  // The fault bites: readiness asks the database and gets no answer.
  await until(async () => (await readyz()) !== 200, 10_000, '/readyz not 200 once the connections went silent');
  // ...and comes back by itself, on a new client.
  await until(async () => (await readyz()) === 200, 20_000, '/readyz 200 again');
  expect(await newPersonIsAnswered()).toMatch(/\[Ya\|Tidak/);
  expect(Date.now() - frozenAt).toBeLessThan(20_000);
}, 60_000);
