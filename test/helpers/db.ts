/**
 * The test database. Importing this module makes the file one that needs the run's database
 * server (test/helpers/global-setup.ts starts it for the first file that asks): its address
 * arrives before the file's own hooks run, so uniqueDatabaseUri() works in any hook or test.
 * useTestDatabase() connects mongoose to a fresh database and drops it afterwards.
 */
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { afterAll, beforeAll, inject } from 'vitest';
import { ensureIndexes } from '../../src/db/connection.js';
import '../../src/db/models.js';

let serverUri: string | null = null;

// Registered when a test file imports this module: before any hook of that file.
beforeAll(async () => {
  const res = await fetch(inject('mongoBroker'));
  const body = await res.text();
  if (!res.ok) throw new Error(`The test database server did not start: ${body}`);
  serverUri = body;
});

/** A connection string to a database name that no other test file uses. */
export function uniqueDatabaseUri(): string {
  if (!serverUri) throw new Error('uniqueDatabaseUri() is for hooks and tests: the server\'s address arrives in a beforeAll');
  const base = new URL(serverUri);
  base.pathname = `/test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  return base.toString();
}

export function useTestDatabase(): { uri: () => string } {
  let uri = '';
  beforeAll(async () => {
    uri = uniqueDatabaseUri();
    await mongoose.connect(uri, { serverSelectionTimeoutMS: 10_000 });
    await ensureIndexes();
  });
  afterAll(async () => {
    await mongoose.connection.db?.dropDatabase();
    await mongoose.disconnect();
  });
  return { uri: () => uri };
}

/**
 * Where a reply (`reply:<channel>:<message id>`) is kept: owed on its member (the turn's commit)
 * and/or as one outbox entry (when it could not all go out at once). Kept once: in at least one
 * of them, and never in two outbox entries (its id is the entry's).
 */
export async function replyKept(replyId: string): Promise<{ kept: boolean; outboxEntries: number }> {
  const { MemberModel, OutboxModel } = await import('../../src/db/models.js');
  const outboxEntries = await OutboxModel.countDocuments({ _id: replyId });
  const owed = await MemberModel.countDocuments({ 'owed.id': replyId });
  return { kept: outboxEntries + owed > 0, outboxEntries };
}
