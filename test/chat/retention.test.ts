/** Retention: what the registration notice promises is what the nightly job deletes. */
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { MemberModel, OutboxModel, RunModel, SubmissionModel } from '../../src/db/models.js';
import { purgeExpiredPersonalData } from '../../src/privacy/retention.js';
import { useTestDatabase } from '../helpers/db.js';

useTestDatabase();

const now = new Date('2026-11-27T00:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 24 * 3600_000);

/** A member with an expired draft, a registration record and a risk report. */
async function member(platformUserId: string, lastInboundAt: Date, registered: boolean) {
  const m = await MemberModel.create({
    channel: 'telegram',
    platformUserId,
    lastInboundAt,
    ...(registered ? { name: 'X', consent: { version: 'daftar v1', givenAt: daysAgo(1000) }, registeredAt: daysAgo(1000) } : {}),
  });
  await RunModel.create({
    _id: new Types.ObjectId(), memberId: m._id, flowId: registered ? 'laporan-risiko' : 'daftar', flowVersion: 1,
    state: { answers: { name: 'X' } }, startedAt: lastInboundAt, lastActivityAt: lastInboundAt, expiredAt: lastInboundAt,
  });
  const registration = await SubmissionModel.create({
    runId: new Types.ObjectId(), memberId: m._id, flowId: 'daftar', flowVersion: 1, channel: 'telegram', answers: { name: 'X' }, submittedAt: lastInboundAt,
  });
  const report = await SubmissionModel.create({
    runId: new Types.ObjectId(), memberId: m._id, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram', answers: { type: 'rob' }, submittedAt: lastInboundAt,
  });
  await OutboxModel.create({ _id: `reply:telegram:${platformUserId}-1`, kind: 'reply', channel: 'telegram', to: platformUserId, memberId: m._id, messages: [{ text: 'x' }], seq: 1, availableAt: now, createdAt: now });
  return { member: m, registration, report };
}

describe('retention', () => {
  it('deletes members inactive for two years and unfinished registrations past expiry, and keeps the rest', async () => {
    const old = await member('old', daysAgo(800), true);
    const active = await member('active', daysAgo(100), true);
    const abandoned = await member('abandoned', daysAgo(8), false);
    const registering = await member('registering', daysAgo(2), false);

    expect(await purgeExpiredPersonalData(now, { unregisteredAfterHours: 168 })).toEqual({ inactive: 1, unregistered: 1 });

    for (const gone of [old, abandoned]) {
      expect(await MemberModel.countDocuments({ _id: gone.member._id })).toBe(0);
      expect(await RunModel.countDocuments({ memberId: gone.member._id })).toBe(0);
      expect(await SubmissionModel.countDocuments({ memberId: gone.member._id })).toBe(0);
      expect(await SubmissionModel.countDocuments({ _id: gone.registration._id })).toBe(0);
      expect(await OutboxModel.countDocuments({ to: gone.member.platformUserId })).toBe(0);
    }
    // A registered person's reports are village facts: kept, without them.
    const kept = await SubmissionModel.findById(old.report._id).lean();
    expect(kept).toMatchObject({ memberId: null, answers: { type: 'rob' } });
    expect(kept?.reporterRemovedAt).toBeInstanceOf(Date);
    // Without consent nothing was ever theirs to keep.
    expect(await SubmissionModel.countDocuments({ _id: abandoned.report._id })).toBe(0);

    for (const stays of [active, registering]) {
      expect(await MemberModel.countDocuments({ _id: stays.member._id })).toBe(1);
      expect(await SubmissionModel.countDocuments({ memberId: stays.member._id })).toBe(2);
      expect(await RunModel.countDocuments({ memberId: stays.member._id })).toBe(1);
      expect(await OutboxModel.countDocuments({ to: stays.member.platformUserId })).toBe(1);
    }
    expect(await purgeExpiredPersonalData(now, { unregisteredAfterHours: 168 })).toEqual({ inactive: 0, unregistered: 0 });
  });
});

describe('deleting a member', () => {
  it('also deletes their alerts (sent or received), workshop answers and workspace access', async () => {
    const { deleteMemberData } = await import('../../src/privacy/retention.js');
    const { AlertModel, FacilitatorAssignmentModel, LoginLinkModel, WorkshopInviteModel, WorkspaceSessionModel } = await import('../../src/db/models.js');
    const { member: m } = await member('leaving', daysAgo(1), true);
    const other = new Types.ObjectId();
    const alert = (id: string, from: Types.ObjectId, to: Types.ObjectId) => ({
      _id: id, facilitatorId: to, fromMemberId: from, kind: 'risk', sourceId: id, data: { reporterName: 'X', platformUserId: 'leaving' }, createdAt: now,
    });
    await AlertModel.create([alert('a1', m._id, other), alert('a2', other, m._id), alert('a3', other, other)]);
    await WorkshopInviteModel.create({ _id: `w:${String(m._id)}`, workshopId: new Types.ObjectId(), memberId: m._id, villageCode: '81.05.15.2004', invitedAt: now });
    await FacilitatorAssignmentModel.create({ memberId: m._id, villageCodes: ['81.05.15.2004'] });
    await LoginLinkModel.create({ tokenHash: 'link-hash', memberId: m._id, expiresAt: now });
    await WorkspaceSessionModel.create({ tokenHash: 'session-hash', memberId: m._id, csrfToken: 'c', expiresAt: now });

    await deleteMemberData(m, { keepReports: true });

    expect((await AlertModel.find({}, { _id: 1 }).lean()).map((a) => a._id)).toEqual(['a3']);
    for (const model of [WorkshopInviteModel, FacilitatorAssignmentModel, LoginLinkModel, WorkspaceSessionModel] as const) {
      expect(await (model as typeof LoginLinkModel).countDocuments({ memberId: m._id }), model.modelName).toBe(0);
    }
  });
});

describe('photos', () => {
  it('the nightly job deletes photos nothing refers to, once they are old enough; photos of kept reports stay', async () => {
    const { default: mongoose } = await import('mongoose');
    const { purgeUnreferencedMedia } = await import('../../src/privacy/retention.js');
    const { MEDIA_BUCKET, mediaIdFor, storeMedia } = await import('../../src/media/store.js');
    const photo = (fileId: string) => storeMedia({ channel: 'telegram', fileId, fetch: async () => ({ data: Buffer.from(fileId), contentType: 'image/jpeg' }) }, 1000);
    for (const f of ['kept', 'orphan', 'fresh-orphan', 'in-draft']) await photo(f);
    const files = mongoose.connection.db!.collection(`${MEDIA_BUCKET}.files`);
    await files.updateMany({ _id: { $in: ['kept', 'orphan', 'in-draft'].map((f) => new Types.ObjectId(mediaIdFor('telegram', f))) } }, { $set: { uploadDate: daysAgo(30) } });
    // A report keeps its photo inside a repeat group; a draft keeps one too.
    await SubmissionModel.create({
      runId: new Types.ObjectId(), memberId: null, flowId: 'laporan-risiko', flowVersion: 1, channel: 'telegram', submittedAt: now,
      answers: { items: [{ photo: { fileId: 'kept', mediaId: mediaIdFor('telegram', 'kept') } }] },
    });
    await RunModel.create({
      _id: new Types.ObjectId(), memberId: new Types.ObjectId(), flowId: 'laporan-risiko', flowVersion: 1,
      state: { answers: { photo: { fileId: 'in-draft', mediaId: mediaIdFor('telegram', 'in-draft') } } }, startedAt: now, lastActivityAt: now, expiredAt: now,
    });

    expect(await purgeUnreferencedMedia(now, { olderThanHours: 24 * 8 })).toBe(1);
    const left = (await files.find({}, { projection: { 'metadata.fileId': 1 } }).toArray()).map((f) => (f.metadata as { fileId: string }).fileId).sort();
    expect(left).toEqual(['fresh-orphan', 'in-draft', 'kept']);
  });
});
