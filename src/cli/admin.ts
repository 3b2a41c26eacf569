/**
 * `npm run admin -- <command>`: the workspace from the command line.
 *   link [--member <id>] [--name <name>]   a sign-in link for the first admin (made if there is none)
 *   key --name <name> [--member <id>]      an API key (printed once; stored hashed)
 *   revoke-key <key id>                    revoke an API key
 *   assign <facilitator id> <village code>...   the villages a facilitator sees
 * Links point at PUBLIC_BASE_URL, else at the running service's address, else http://localhost:<PORT>.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { loadConfig } from '../config/index.js';
import { connectDatabase } from '../db/connection.js';
import { revokeApiKey } from '../db/repositories/api-keys.js';
import { createWorkspaceAdmin, findFirstAdminId, findMemberRole } from '../db/repositories/members.js';
import { assignVillages } from '../db/repositories/recipients.js';
import { knownVillageCodes } from '../db/repositories/villages.js';
import { createLogger } from '../logging/logger.js';
import { printDatabaseNote, workspaceBase } from './database-note.js';
import { audit } from '../workspace/audit.js';
import { createApiKey, createLoginLinkFor } from '../workspace/auth.js';

const USAGE = 'Usage: npm run admin -- link [--member <id>] [--name <name>] | key --name <name> [--member <id>] | revoke-key <id> | assign <facilitator id> <village code>...';

async function firstAdmin(name: string | undefined): Promise<string> {
  const existing = await findFirstAdminId();
  if (existing) return String(existing);
  // No admin yet: the first one is a workspace-only member (no chat account behind it).
  const adminName = name ?? 'Admin';
  const created = await createWorkspaceAdmin(`admin:${randomUUID()}`, adminName, new Date());
  console.log(`Made the first admin (${adminName}, id ${String(created)}).`);
  return String(created);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { member: { type: 'string' }, name: { type: 'string' } } });
  const [command, ...rest] = positionals;
  if (!command || !['link', 'key', 'revoke-key', 'assign'].includes(command)) throw new Error(USAGE);
  dotenv.config({ quiet: true });
  const config = loadConfig();
  // While `npm start` runs, its database is used (its files are locked); else one is started for this command.
  const db = await connectDatabase(config, createLogger({ level: 'warn' }), { role: 'client' });
  printDatabaseNote(db.source);
  const cli = { memberId: '', name: 'command line', via: 'cli' as const };
  try {
    if (command === 'link') {
      const memberId = values.member ?? (await firstAdmin(values.name));
      const base = workspaceBase(db.source, config.PORT);
      const link = await createLoginLinkFor(memberId, base, new Date());
      if (!link) throw new Error(`Member ${memberId} is not a facilitator or admin.`);
      console.log(`Sign-in link (single use, until ${link.expiresAt.toISOString()}):\n${link.url}`);
    } else if (command === 'key') {
      if (!values.name) throw new Error(USAGE);
      const memberId = values.member ?? (await firstAdmin(undefined));
      const created = await createApiKey(memberId, values.name, memberId);
      await audit({ ...cli, memberId }, { action: 'apikey.create', targetType: 'apikey', targetId: created.id, details: { name: values.name, prefix: created.prefix } }, new Date());
      console.log(`API key "${values.name}" (id ${created.id}); shown only now:\n${created.key}`);
    } else if (command === 'revoke-key') {
      const id = rest[0];
      if (!id || !/^[a-f0-9]{24}$/.test(id)) throw new Error(USAGE);
      if (!(await revokeApiKey(id, new Date()))) throw new Error(`No active API key ${id}`);
      await audit(null, { action: 'apikey.revoke', targetType: 'apikey', targetId: id }, new Date());
      console.log(`Revoked ${id}.`);
    } else {
      const [memberId, ...codes] = rest;
      if (!memberId || !/^[a-f0-9]{24}$/.test(memberId)) throw new Error(USAGE);
      if ((await findMemberRole(memberId)) !== 'fasilitator') throw new Error(`${memberId} is not a facilitator.`);
      const known = await knownVillageCodes(codes);
      const unknown = codes.filter((c) => !known.includes(c));
      if (unknown.length) throw new Error(`Unknown village codes: ${unknown.join(', ')}`);
      await assignVillages(memberId, codes);
      await audit(null, { action: 'facilitator.assign', targetType: 'member', targetId: memberId, details: { villageCodes: codes } }, new Date());
      console.log(`Facilitator ${memberId} now sees: ${codes.join(', ') || '(own village only)'}`);
    }
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
