/**
 * Access codes for the pokja and fasilitator roles (index { code } unique). The code itself is
 * never stored on a member: the member keeps the id of the code that granted the role.
 */
import { Types } from 'mongoose';
import { AccessCodeModel, type Role } from '../models.js';

export interface UsableCode {
  id: string;
  code: string;
  role: string;
  villageCode: string | null;
  simulatorOnly: boolean;
}

/** Codes not expired and not used up. */
export async function listUsableCodes(now: Date): Promise<UsableCode[]> {
  const docs = await AccessCodeModel.find({ $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] }).lean();
  return docs
    .filter((c) => c.maxUses == null || (c.uses ?? 0) < c.maxUses)
    .map((c) => ({ id: String(c._id), code: c.code, role: c.role, villageCode: c.villageCode ?? null, simulatorOnly: c.simulatorOnly === true }));
}

/** Uses a code once for this member (a replay does not count twice); null when it can't be used. */
export async function consumeCode(codeId: string, memberId: Types.ObjectId, role: Role, village: unknown, now: Date): Promise<Types.ObjectId | null> {
  const _id = new Types.ObjectId(codeId);
  for (let attempt = 0; attempt < 5; attempt++) {
    const code = await AccessCodeModel.findById(_id).lean();
    if (!code || code.role !== role) return null;
    if ((code.usedBy ?? []).some((id) => id.equals(memberId))) return _id;
    if (code.expiresAt && code.expiresAt.getTime() <= now.getTime()) return null;
    if (code.maxUses != null && (code.uses ?? 0) >= code.maxUses) return null;
    if (code.villageCode && code.villageCode !== village) return null;
    // Guarded by the use count read above: two people racing for the last use can't both win.
    const taken = await AccessCodeModel.updateOne({ _id, uses: code.uses ?? 0 }, { $inc: { uses: 1 }, $push: { usedBy: memberId } });
    if (taken.modifiedCount === 1) return _id;
  }
  return null;
}

/** The simulator's code for a role (created once, usable only in the simulator). */
export async function ensureSimulatorCode(code: string, role: Role): Promise<void> {
  await AccessCodeModel.updateOne({ code }, { $setOnInsert: { code, role, simulatorOnly: true } }, { upsert: true });
}

/** Removes the simulator's codes (where a real channel is configured); how many went. */
export async function deleteSimulatorCodes(): Promise<number> {
  return (await AccessCodeModel.deleteMany({ simulatorOnly: true })).deletedCount;
}

/** Stores a new code (the command line's `access-code`). */
export async function createAccessCode(c: { code: string; role: Role; villageCode: string | null; expiresAt: Date }): Promise<void> {
  await AccessCodeModel.create(c);
}
