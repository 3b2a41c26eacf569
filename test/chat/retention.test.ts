/** Retention: what the registration notice promises is what the nightly job deletes. */
import { describe, expect, it } from 'vitest';
import { MemberModel, RunModel, SubmissionModel } from '../../src/db/models.js';
import { purgeExpiredPersonalData } from '../../src/privacy/retention.js';
import { useTestDatabase } from '../helpers/db.js';

useTestDatabase();

const now = new Date('2026-11-27T00:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 24 * 3600_000);

async function member(platformUserId: string, lastInboundAt: Date, registered: boolean) {
  const m = await MemberModel.create({
    channel: 'telegram',
    platformUserId,
    lastInboundAt,
    ...(registered ? { name: 'X', consent: { version: 'daftar v1', givenAt: daysAgo(1000) }, registeredAt: daysAgo(1000) } : {}),
  });
  const run = await RunModel.create({ memberId: m._id, flowId: registered ? 'laporan-risiko' : 'daftar', flowVersion: 1, state: { answers: { name: 'X' } }, lastActivityAt: lastInboundAt, expiresAt: lastInboundAt, status: 'expired' });
  await SubmissionModel.create({ runId: run._id, memberId: m._id, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram', answers: {}, submittedAt: lastInboundAt });
  return m;
}

describe('retention', () => {
  it('deletes members inactive for two years and unfinished registrations past expiry, and keeps the rest', async () => {
    const old = await member('old', daysAgo(800), true);
    const active = await member('active', daysAgo(100), true);
    const abandoned = await member('abandoned', daysAgo(8), false);
    const registering = await member('registering', daysAgo(2), false);

    expect(await purgeExpiredPersonalData(now, { unregisteredAfterHours: 168 })).toEqual({ inactive: 1, unregistered: 1 });

    for (const gone of [old, abandoned]) {
      expect(await MemberModel.countDocuments({ _id: gone._id })).toBe(0);
      expect(await RunModel.countDocuments({ memberId: gone._id })).toBe(0);
      expect(await SubmissionModel.countDocuments({ memberId: gone._id })).toBe(0);
    }
    for (const kept of [active, registering]) {
      expect(await MemberModel.countDocuments({ _id: kept._id })).toBe(1);
      expect(await SubmissionModel.countDocuments({ memberId: kept._id })).toBe(1);
    }
    expect(await purgeExpiredPersonalData(now, { unregisteredAfterHours: 168 })).toEqual({ inactive: 0, unregistered: 0 });
  });
});
