/**
 * Simulator sessions (collection simulator_sessions, models/simulator-session.ts): one per id the
 * server issued, holding the transcript the page shows. Served by _id, { address } (appending to
 * a member's transcript from the outbound side) and { lastSeenAt } (TTL on MongoDB; the idle
 * sweep on the stand-in).
 */
import { SimulatorSessionModel } from '../models.js';

export async function createSimulatorSession(id: string, address: string, now: Date): Promise<void> {
  await SimulatorSessionModel.create({ _id: id, address, createdAt: now, lastSeenAt: now });
}

/** Marks the session seen; false when there is no such session. */
export async function touchSimulatorSession(id: string, now: Date): Promise<boolean> {
  const res = await SimulatorSessionModel.updateOne({ _id: id }, { $set: { lastSeenAt: now } });
  return res.matchedCount === 1;
}

/**
 * Appends entries in one update, keeping the last `keep`; returns the count of entries ever
 * appended (0: no such session).
 */
export async function pushTranscriptEntries(filter: { _id: string } | { address: string }, entries: object[], keep: number): Promise<number> {
  const doc = await SimulatorSessionModel.findOneAndUpdate(
    filter,
    { $push: { entries: { $each: entries, $slice: -keep } }, $inc: { count: entries.length } },
    { returnDocument: 'after', projection: { count: 1 } },
  ).lean();
  return doc?.count ?? 0;
}

/** The kept entries and the count ever appended, or null when there is no such session. */
export async function readTranscriptEntries(id: string): Promise<{ count: number; entries: unknown[] } | null> {
  const doc = await SimulatorSessionModel.findById(id, { count: 1, entries: 1 }).lean();
  return doc ? { count: doc.count, entries: doc.entries ?? [] } : null;
}

/** Forgets sessions last seen before `before`; how many went. */
export async function deleteSimulatorSessionsIdleSince(before: Date): Promise<number> {
  const res = await SimulatorSessionModel.deleteMany({ lastSeenAt: { $lt: before } });
  return res.deletedCount;
}
