/** Graceful shutdown: work in flight finishes, then nothing new is taken and the database closes. */
import { once } from 'node:events';
import mongoose from 'mongoose';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { startService } from '../../src/service.js';
import { uniqueDatabaseUri } from '../helpers/db.js';

describe('graceful shutdown', () => {
  it('finishes a conversation message in flight, then refuses new connections and closes the database', async () => {
    const service = await startService(loadConfig({ MONGODB_URI: uniqueDatabaseUri(), PORT: '0', SIMULATOR: 'on' }), createLogger({ level: 'silent' }));
    const base = `http://127.0.0.1:${service.port}`;
    const { sessionId } = (await (await fetch(`${base}/simulator/api/session`, { method: 'POST', headers: { connection: 'close' } })).json()) as { sessionId: string };
    const inFlight = fetch(`${base}/simulator/api/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ sessionId, messageId: 'message-0001', content: { kind: 'text', text: 'halo' } }),
    });
    await once(service.server, 'request'); // the request has reached the service
    const stopped = service.stop();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { replies: { text: string }[] }).replies.at(-1)?.text).toContain('setuju');
    await stopped;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(mongoose.connection.readyState).toBe(0);
  });
});
