/**
 * Test files share their worker process (isolate: false in vitest.config.ts: each file would
 * otherwise load the service's modules again, a third of the suite's CPU), so each must leave
 * the process as it found it. After every file: mongoose disconnected. A connection left open
 * would serve the next file's database, and commands of anything the file left running would
 * reach it; so it fails here, in the file that left it.
 */
import mongoose from 'mongoose';
import { afterAll } from 'vitest';

afterAll(async () => {
  const open = mongoose.connections.filter((c) => c.readyState !== mongoose.ConnectionStates.disconnected);
  if (open.length === 0) return;
  await mongoose.disconnect();
  throw new Error(`This test file left ${open.length} mongoose connection(s) open (to ${open.map((c) => c.name).join(', ')}): close what it started in afterAll/afterEach.`);
});
