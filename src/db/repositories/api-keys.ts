/**
 * Workspace API keys (models/workspace-auth.ts; index { keyHash } unique for sign-in, _id here).
 * Making and checking keys is workspace/auth.ts's; here what the command line does to them.
 */
import { ApiKeyModel } from '../models.js';

/** Revokes an active key; false when there is no active key with this id. */
export async function revokeApiKey(id: string, now: Date): Promise<boolean> {
  const res = await ApiKeyModel.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: now } });
  return res.matchedCount > 0;
}
