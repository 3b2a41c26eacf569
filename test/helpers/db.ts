/** Per-file database: connects mongoose to a fresh database on the shared test server and drops it afterwards. */
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { afterAll, beforeAll, inject } from 'vitest';
import { ensureIndexes } from '../../src/db/connection.js';
import '../../src/db/models.js';

/** A connection string to a database name that no other test file uses. */
export function uniqueDatabaseUri(): string {
  const base = new URL(inject('mongoUri'));
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
