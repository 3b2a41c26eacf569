/**
 * Starts one MongoDB-compatible server for the whole run: MONGODB_URI when set (a real
 * MongoDB), else the mongo-java-server stand-in in memory. Test files get its URI through
 * inject('mongoUri') and each works in a database of its own.
 */
import type { TestProject } from 'vitest/node';
import { startStandIn, type LocalServer } from '../../src/db/local-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

let server: LocalServer | null = null;

export async function setup(project: TestProject): Promise<void> {
  const external = process.env.MONGODB_URI?.trim();
  if (external) {
    project.provide('mongoUri', external);
    return;
  }
  server = await startStandIn();
  project.provide('mongoUri', server.uri);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
