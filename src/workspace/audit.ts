/** The audit log: every change through the pages, the API, the chat or the command line. */
import { appendAuditRecord } from '../db/repositories/audit-log.js';
import type { Actor } from './access.js';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId?: string | null;
  villageCode?: string | null;
  details?: Record<string, unknown> | null;
}

export async function audit(actor: Pick<Actor, 'memberId' | 'name' | 'via'> | null, entry: AuditEntry, now: Date): Promise<void> {
  await appendAuditRecord({
    at: now,
    actorId: actor?.memberId ?? null,
    actorName: actor?.name ?? null,
    via: actor?.via ?? 'cli',
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId ?? null,
    villageCode: entry.villageCode ?? null,
    details: entry.details ?? null,
  });
}
