/**
 * The members' group commit (src/db/repositories/members.ts): guarded updates of many people
 * leave as one bulk, and each caller still learns exactly whether its own update is in, also
 * when some guards in the same bulk failed; first contacts are inserted by their first commit.
 */
import { describe, expect, it } from 'vitest';
import { MemberModel } from '../../src/db/models.js';
import { commitMember, findOrNewMember, saveNewMember, type MemberState } from '../../src/db/repositories/members.js';
import { useTestDatabase } from '../helpers/db.js';

useTestDatabase();

/** A member as stored: found, or new and saved as it is (rev 0). */
async function storedMember(platformUserId: string, now = new Date()): Promise<MemberState> {
  const m = await findOrNewMember({ channel: 'web', platformUserId }, 'id', now);
  return m.unsaved ? (await saveNewMember(m))! : m;
}

describe('commitMember (group commit)', () => {
  it('in one bulk with stale revisions: each caller is told its own outcome, and only fresh updates are in', async () => {
    const now = new Date();
    const members = await Promise.all(
      Array.from({ length: 12 }, (_, i) => storedMember(`sim-group-${i}`, now)),
    );
    // Every third member was written by someone else since it was read: its guard must fail.
    const stale = new Set([0, 3, 6, 9]);
    await MemberModel.updateMany({ _id: { $in: members.filter((_, i) => stale.has(i)).map((m) => m._id) } }, { $inc: { rev: 1 } });

    const outcomes = await Promise.all(members.map((m, i) => commitMember(m, { name: `Orang ${i}` })));

    outcomes.forEach((outcome, i) => {
      if (stale.has(i)) expect(outcome, `member ${i}`).toBeNull();
      else expect(outcome, `member ${i}`).toMatchObject({ name: `Orang ${i}`, rev: members[i]!.rev + 1 });
    });
    const stored = await MemberModel.find({ _id: { $in: members.map((m) => m._id) } }).lean();
    const nameOf = new Map(stored.map((m) => [String(m._id), m.name]));
    members.forEach((m, i) => expect(nameOf.get(String(m._id)), `member ${i}`).toBe(stale.has(i) ? null : `Orang ${i}`));
  });

  it('a commit that raced one from the same revision is refused even though the revision matches what it would have written', async () => {
    const member = await storedMember('sim-race');
    // Another worker commits from the same revision first (same handled mark, same rev + 1).
    expect(await commitMember(member, { handled: ['m1'], name: 'Pemenang' })).not.toBeNull();
    const others = await Promise.all([
      commitMember(member, { handled: ['m1'], name: 'Kalah' }),
      ...Array.from({ length: 3 }, async (_, i) => {
        const m = await storedMember(`sim-race-${i}`);
        return commitMember(m, { name: `Lain ${i}` });
      }),
    ]);
    expect(others[0]).toBeNull();
    expect(others.slice(1).every((o) => o !== null)).toBe(true);
    expect((await MemberModel.findById(member._id).lean())?.name).toBe('Pemenang');
  });
});

describe('first contacts (findOrNewMember, then the first commit inserts)', () => {
  it('many new people commit together: each is inserted with its first turn, and a found one is updated as stored', async () => {
    const now = new Date();
    const existing = await storedMember('sim-first-existing', now);
    const addresses = [...Array.from({ length: 8 }, (_, i) => `sim-first-${i}`), 'sim-first-existing'].map((platformUserId) => ({ channel: 'web' as const, platformUserId }));
    const members = await Promise.all(addresses.map((a) => findOrNewMember(a, 'en', now)));
    members.forEach((m, i) => expect(m.platformUserId).toBe(addresses[i]!.platformUserId));
    expect(members.slice(0, 8).every((m) => m.unsaved)).toBe(true);
    expect(String(members.at(-1)!._id)).toBe(String(existing._id));
    expect(members.at(-1)!.unsaved).toBeUndefined();
    // Nothing is stored before the first commit.
    expect(await MemberModel.countDocuments({ platformUserId: { $regex: '^sim-first-\\d' } })).toBe(0);
    const committed = await Promise.all(members.map((m, i) => commitMember(m, { name: `Orang ${i}`, handled: [`m${i}`] })));
    const stored = await MemberModel.find({ platformUserId: { $in: addresses.map((a) => a.platformUserId) } }).lean();
    expect(stored).toHaveLength(9);
    committed.forEach((c, i) => {
      const s = stored.find((d) => String(d._id) === String(c!._id));
      expect(s, addresses[i]!.platformUserId).toBeDefined();
      expect({ name: s!.name, rev: s!.rev, handled: s!.handled, unsaved: (s as { unsaved?: unknown }).unsaved }).toEqual({ name: `Orang ${i}`, rev: c!.rev, handled: [`m${i}`], unsaved: undefined });
    });
    expect(committed.map((c) => c!.rev)).toEqual([...Array(8).fill(1), existing.rev + 1]);
    // The inserted member commits on like a read one.
    expect(await commitMember(committed[0]!, { name: 'Baru' })).toMatchObject({ name: 'Baru', rev: 2 });
  });

  it('the same person\'s first contact committed twice at once (two instances): one is inserted, the other is told to read again', async () => {
    const now = new Date();
    const [a, b] = await Promise.all([0, 1].map(() => findOrNewMember({ channel: 'web', platformUserId: 'sim-twice' }, 'id', now)));
    const [first, second] = await Promise.all([commitMember(a!, { name: 'Satu' }), commitMember(b!, { name: 'Dua' })]);
    expect([first, second].filter((c) => c === null)).toHaveLength(1);
    const stored = await MemberModel.find({ platformUserId: 'sim-twice' }).lean();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.name).toBe((first ?? second)!.name);
    // Read again, the loser finds the stored member and commits on it.
    const again = await findOrNewMember({ channel: 'web', platformUserId: 'sim-twice' }, 'id', now);
    expect(again.unsaved).toBeUndefined();
    expect(await commitMember(again, { name: 'Dua' })).toMatchObject({ name: 'Dua', rev: 2 });
  });
});
