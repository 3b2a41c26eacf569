/** One plain line on which database a command-line tool used, before its answer. */
import type { DatabaseSource } from '../db/connection.js';

export function databaseNote(source: DatabaseSource): string | null {
  const where = (s: DatabaseSource['services'][number]) => `DATA_DIR=${s.dataDir}${s.baseUrl ? `, ${s.baseUrl}` : ''}`;
  if (source.kind === 'running-service') return `Using the database of the running service (${where(source.services[0]!)}).`;
  if (source.kind === 'external') return null;
  if (source.services.length === 0) return `No service is running: used the database in ${source.dataDir}.`;
  return `Used the database in ${source.dataDir}: this is NOT the database of the running service (${source.services.map(where).join('; ')}). `
    + `Run the command with that DATA_DIR to use it.`;
}

export function printDatabaseNote(source: DatabaseSource): void {
  const note = databaseNote(source);
  if (note) console.log(note);
}

/** Where sign-in links point: PUBLIC_BASE_URL, else the running service's address, else this PORT. */
export function workspaceBase(source: DatabaseSource, port: number): string {
  return process.env.PUBLIC_BASE_URL ?? (source.kind === 'running-service' ? source.services[0]?.baseUrl : null) ?? `http://localhost:${port}`;
}
