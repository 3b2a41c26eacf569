import mongoose from 'mongoose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { uniqueDatabaseUri } from '../helpers/db.js';

let service: RunningService;
let base: string;
let databaseUri: string;

beforeAll(async () => {
  databaseUri = uniqueDatabaseUri();
  const config = loadConfig({ MONGODB_URI: databaseUri, PORT: '0', SIMULATOR: 'off' });
  service = await startService(config, createLogger({ level: 'silent' }));
  base = `http://127.0.0.1:${service.port}`;
});

afterAll(async () => {
  await service.stop();
});

describe('health and readiness', () => {
  it('answers /healthz while the process is up', async () => {
    const res = await request(base).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 when the database is reachable', async () => {
    const res = await request(base).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready' });
  });

  it('answers 404 with a reason for unknown paths', async () => {
    const res = await request(base).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('No such endpoint.');
  });

  it('answers /readyz 503 when the database is gone, and 200 again when it is back', async () => {
    await mongoose.connection.close();
    const down = await request(base).get('/readyz');
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'database-unreachable' });
    await mongoose.connection.openUri(databaseUri);
    expect((await request(base).get('/readyz')).status).toBe(200);
  });
});
