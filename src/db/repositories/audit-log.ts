/** The audit log (models/workspace-auth.ts): appended to, never changed. */
import { AuditLogModel } from '../models.js';

export interface AuditRecord {
  at: Date;
  actorId: unknown;
  actorName: string | null;
  via: string;
  action: string;
  targetType: string;
  targetId: string | null;
  villageCode: string | null;
  details: Record<string, unknown> | null;
}

export async function appendAuditRecord(record: AuditRecord): Promise<void> {
  await AuditLogModel.create(record);
}
