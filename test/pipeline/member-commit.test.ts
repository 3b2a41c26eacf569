/**
 * The members' group commit (src/db/repositories/members.ts): guarded updates of many people
 * leave as one bulk, and each caller still learns exactly whether its own update is in, also
 * when some guards in the same bulk failed.
 */
import { describe, expect, it } from 'vitest';
import { MemberModel } from '../../src/db/models.js';
import { commitMember, findOrCreateMember } from '../../src/db/repositories/members.js';
import { useTestDatabase } from '../helpers/db.js';

useTestDatabase();

describe('commitMember (group commit)', () => {
  it('in one bulk with stale revisions: each caller is told its own outcome, and only fresh updates are in', async () => {
    const now = new Date();
    const members = await Promise.all(
      Array.from({ length: 12 }, (_, i) => findOrCreateMember({ channel: 'web', platformUserId: `sim-group-${i}` }, 'id', now)),
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
    const member = await findOrCreateMember({ channel: 'web', platformUserId: 'sim-race' }, 'id', new Date());
    // Another worker commits from the same revision first (same handled mark, same rev + 1).
    expect(await commitMember(member, { handled: ['m1'], name: 'Pemenang' })).not.toBeNull();
    const others = await Promise.all([
      commitMember(member, { handled: ['m1'], name: 'Kalah' }),
      ...Array.from({ length: 3 }, async (_, i) => {
        const m = await findOrCreateMember({ channel: 'web', platformUserId: `sim-race-${i}` }, 'id', new Date());
        return commitMember(m, { name: `Lain ${i}` });
      }),
    ]);
    expect(others[0]).toBeNull();
    expect(others.slice(1).every((o) => o !== null)).toBe(true);
    expect((await MemberModel.findById(member._id).lean())?.name).toBe('Pemenang');
  });
});

describe('findOrCreateMember (first contacts together)', () => {
  it('creates many new people in one go, finds the ones that exist, and each caller gets its own member as stored', async () => {
    const now = new Date();
    const existing = await findOrCreateMember({ channel: 'web', platformUserId: 'sim-first-existing' }, 'en', now);
    const addresses = [...Array.from({ length: 8 }, (_, i) => `sim-first-${i}`), 'sim-first-existing'].map((platformUserId) => ({ channel: 'web' as const, platformUserId }));
    const members = await Promise.all(addresses.map((a) => findOrCreateMember(a, 'id', now)));
    members.forEach((m, i) => expect(m.platformUserId).toBe(addresses[i]!.platformUserId));
    expect(String(members.at(-1)!._id)).toBe(String(existing._id));
    expect(members.at(-1)!.language).toBe('en');
    const stored = await MemberModel.find({ platformUserId: { $in: addresses.map((a) => a.platformUserId) } }).lean();
    expect(stored).toHaveLength(9);
    for (const m of members) {
      const s = stored.find((d) => String(d._id) === String(m._id));
      expect(s, m.platformUserId).toBeDefined();
      expect({ rev: m.rev, role: m.role, language: m.language }).toEqual({ rev: s!.rev, role: s!.role, language: s!.language });
    }
    // The built member commits like a read one.
    expect(await commitMember(members[0]!, { name: 'Baru' })).toMatchObject({ name: 'Baru', rev: 1 });
  });
});
