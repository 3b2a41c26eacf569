/**
 * `npm run access-code -- <pokja|fasilitator> [--village <kode>] [--days <n>]`
 * Creates a registration code for a role and prints it, to hand to a working-group member
 * or facilitator. They pick the role while registering and type the code.
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { loadConfig } from '../config/index.js';
import { connectDatabase } from '../db/connection.js';
import { createAccessCode } from '../db/repositories/access-codes.js';
import { findVillage } from '../db/repositories/villages.js';
import { createLogger } from '../logging/logger.js';
import { localDay } from '../time/index.js';
import { printDatabaseNote } from './database-note.js';

/** No 0/O, 1/I/L: codes are read aloud and typed on basic phones. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function newAccessCode(length = 6): string {
  return Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { village: { type: 'string' }, days: { type: 'string' } } });
  const role = positionals[0];
  if (role !== 'pokja' && role !== 'fasilitator') {
    throw new Error('Usage: npm run access-code -- <pokja|fasilitator> [--village 81.05.15.2004] [--days 30]');
  }
  const days = values.days === undefined ? 30 : Number(values.days);
  if (!Number.isFinite(days) || days <= 0) throw new Error('--days expects a positive number of days');

  dotenv.config({ quiet: true });
  const config = loadConfig();
  // While `npm start` runs, its database is used (its files are locked); else one is started for this command.
  const db = await connectDatabase(config, createLogger({ level: 'warn' }), { role: 'client' });
  printDatabaseNote(db.source);
  try {
    if (values.village && !(await findVillage(values.village))) throw new Error(`No village with code ${values.village}`);
    const code = newAccessCode();
    const expiresAt = new Date(Date.now() + days * 24 * 3600_000);
    await createAccessCode({ code, role, villageCode: values.village ?? null, expiresAt });
    console.log(`${role} code: ${code} (valid until ${localDay(expiresAt, config.TIMEZONE)})`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
