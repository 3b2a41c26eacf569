/**
 * People who need a facilitator: help requests ("Minta dihubungi" in BANTUAN) with their
 * status (baru -> dihubungi -> selesai), and people who registered with a village that is not
 * in the list ("desa lain"), waiting for an admin to give them a real one. Same rules as the
 * rest of the workspace: the actor's villages only (a request out of reach is 404), every
 * change in the audit log.
 */
import { Types } from 'mongoose';
import type { z } from 'zod';
import { HelpRequestModel, MemberModel, SubmissionModel, VillageModel } from '../db/models.js';
import { type HelpStatus } from '../vocabulary.js';
import { locate } from '../engine/navigation.js';
import { assertAdmin, canSeeVillage, villageFilter, type Actor } from './access.js';
import { audit } from './audit.js';
import { WorkspaceError, notFound } from './errors.js';
import type * as S from './schemas.js';
import type { Ctx, Page } from './service.js';

const NOTHING = { _id: { $in: [] as string[] } };

// ---- help requests ------------------------------------------------------------------------

export interface HelpRequestView {
  id: string;
  /** Null when the person has since deleted their data. */
  member: { id: string; name: string | null; role: string | null } | null;
  villageCode: string | null;
  villageName: string | null;
  channel: string;
  requestedAt: string;
  /** Where the person was when they asked: a flow and a question, as stored and as read. */
  context: { raw: string; flowId: string; questionId: string | null; flow: string; question: string | null } | null;
  status: HelpStatus;
  handledAt: string | null;
  note: string | null;
  notes: { text: string | null; status: string; byName: string | null; at: string }[];
}

type HelpDoc = {
  _id: string; memberId?: Types.ObjectId | null; villageCode?: string | null; channel: string; context?: string | null; status: HelpStatus;
  requestedAt: Date; handledAt?: Date | null; note?: string | null; notes?: { text?: string | null; status: string; byName?: string | null; at: Date }[];
};

/** "laporan-risiko/place" -> the flow's title and the question's label, in the actor's language. */
export function describeContext(ctx: Ctx, raw: string | null | undefined, lang: 'id' | 'en'): HelpRequestView['context'] {
  if (!raw) return null;
  const [flowId = raw, questionId = null] = raw.split('/');
  const flow = ctx.flows.get(flowId);
  const t = ctx.i18n.getFixedT(lang);
  const flowTitle = flow ? String(t(`${flow.namespace}:${flow.title}`)) : flowId;
  const q = flow && questionId ? locate(flow, questionId)?.q : undefined;
  return { raw, flowId, questionId, flow: flowTitle, question: q ? String(t(`${flow!.namespace}:${q.label}`)) : questionId };
}

async function helpViews(ctx: Ctx, docs: HelpDoc[], lang: 'id' | 'en'): Promise<HelpRequestView[]> {
  const memberIds = docs.map((d) => d.memberId).filter((m): m is Types.ObjectId => !!m);
  const codes = [...new Set(docs.map((d) => d.villageCode).filter((c): c is string => !!c))];
  const [members, villages] = await Promise.all([
    MemberModel.find({ _id: { $in: memberIds } }, { name: 1, role: 1 }).lean(),
    VillageModel.find({ code: { $in: codes } }, { code: 1, name: 1 }).lean(),
  ]);
  return docs.map((d) => {
    const m = members.find((x) => d.memberId && x._id.equals(d.memberId));
    return {
      id: d._id,
      member: m ? { id: String(m._id), name: m.name ?? null, role: m.role ?? null } : null,
      villageCode: d.villageCode ?? null,
      villageName: villages.find((v) => v.code === d.villageCode)?.name ?? null,
      channel: d.channel,
      requestedAt: d.requestedAt.toISOString(),
      context: describeContext(ctx, d.context, lang),
      status: d.status,
      handledAt: d.handledAt ? d.handledAt.toISOString() : null,
      note: d.note ?? null,
      notes: (d.notes ?? []).map((n) => ({ text: n.text ?? null, status: n.status, byName: n.byName ?? null, at: n.at.toISOString() })),
    };
  });
}

/** Help requests of the actor's villages (admins: all, also those without a village), newest first. */
export async function listHelpRequests(ctx: Ctx, actor: Actor, q: z.infer<typeof S.helpQuery>, lang?: 'id' | 'en'): Promise<Page<HelpRequestView>> {
  const filter: Record<string, unknown> = { ...(villageFilter(actor, 'villageCode', q.village) ?? NOTHING) };
  if (q.status) filter.status = q.status;
  const [rows, total] = await Promise.all([
    HelpRequestModel.find(filter).sort({ requestedAt: -1 }).skip((q.page - 1) * q.limit).limit(q.limit).lean<HelpDoc[]>(),
    HelpRequestModel.countDocuments(filter),
  ]);
  return { items: await helpViews(ctx, rows, lang ?? actor.language), page: q.page, limit: q.limit, total };
}

/** Sets a help request's status (with an optional note): recorded on the request and in the audit log. */
export async function setHelpStatus(ctx: Ctx, actor: Actor, id: string, status: HelpStatus, note?: string): Promise<HelpRequestView> {
  const doc = await HelpRequestModel.findById(id).lean<HelpDoc>();
  if (!doc || !canSeeVillage(actor, doc.villageCode)) throw notFound('help request');
  const now = ctx.now();
  const text = note?.trim() || null;
  const by = new Types.ObjectId(actor.memberId);
  await HelpRequestModel.updateOne({ _id: doc._id }, {
    $set: { status, handledAt: status === 'baru' ? null : now, handledBy: status === 'baru' ? null : by, ...(text ? { note: text } : {}) },
    $push: { notes: { text, status, by, byName: actor.name, at: now } },
  });
  await audit(actor, {
    action: 'help.status', targetType: 'help-request', targetId: doc._id, villageCode: doc.villageCode ?? null,
    details: { from: doc.status, to: status, ...(text ? { note: text } : {}) },
  }, now);
  const fresh = await HelpRequestModel.findById(doc._id).lean<HelpDoc>();
  return (await helpViews(ctx, [fresh!], actor.language))[0]!;
}

// ---- registrations with a village not in the list -------------------------------------------

export interface UnmatchedView {
  id: string;
  name: string | null;
  /** The village as the person typed it. */
  villageOther: string;
  /** The kecamatan picked at registration (a name from the list), or null when it was "another" too. */
  kecamatan: string | null;
  role: string;
  channel: string;
  registeredAt: string | null;
}

/**
 * People registered with "desa lain". Admins see all; a facilitator sees those whose kecamatan
 * (picked from the list at registration) is the kecamatan of one of their villages. Nobody
 * else's: without a kecamatan only admins see them.
 */
export async function listUnmatched(actor: Actor, q: z.infer<typeof S.unmatchedQuery>): Promise<Page<UnmatchedView>> {
  const members = await MemberModel.find(
    { villageCode: null, villageOther: { $nin: [null, ''] }, registeredAt: { $ne: null } },
    { name: 1, villageOther: 1, role: 1, channel: 1, registeredAt: 1 },
  ).sort({ registeredAt: -1 }).limit(2000).lean();
  const regs = await SubmissionModel.find({ memberId: { $in: members.map((m) => m._id) }, flowId: 'daftar' }, { memberId: 1, answers: 1, submittedAt: 1 })
    .sort({ submittedAt: 1 }).lean();
  // The latest registration of each person says which kecamatan they chose.
  const kecamatanOf = new Map<string, string | null>();
  for (const r of regs) {
    const k = (r.answers as Record<string, unknown>)?.kecamatan;
    kecamatanOf.set(String(r.memberId), typeof k === 'string' && k !== '__other__' ? k : null);
  }
  let allowed: Set<string> | 'all' = 'all';
  if (actor.villages !== 'all') {
    const mine = await VillageModel.find({ code: { $in: actor.villages } }, { kecamatan: 1 }).lean();
    allowed = new Set(mine.map((v) => v.kecamatan));
  }
  const visible = members
    .map((m) => ({
      id: String(m._id), name: m.name ?? null, villageOther: m.villageOther ?? '', kecamatan: kecamatanOf.get(String(m._id)) ?? null,
      role: m.role, channel: m.channel, registeredAt: m.registeredAt ? m.registeredAt.toISOString() : null,
    }))
    .filter((m) => allowed === 'all' || (m.kecamatan !== null && allowed.has(m.kecamatan)));
  return { items: visible.slice((q.page - 1) * q.limit, q.page * q.limit), page: q.page, limit: q.limit, total: visible.length };
}

/**
 * Reaching a person registered with "desa lain" (no phone number is shown): the message goes
 * to them in chat through the bot, with the sender's name. Whoever sees them in the list may.
 */
export async function messageUnmatched(ctx: Ctx, actor: Actor, memberId: string, text: string): Promise<void> {
  const visible = await listUnmatched(actor, { page: 1, limit: 2000 });
  const person = visible.items.find((m) => m.id === memberId);
  if (!person) throw notFound('member');
  await ctx.notifyMember(memberId, { key: 'workspace:notice.from_facilitator', params: { name: actor.name, text } });
  await audit(actor, { action: 'member.message', targetType: 'member', targetId: memberId, details: { villageOther: person.villageOther } }, ctx.now());
}

/**
 * An admin gives a person registered with "desa lain" a village from the list: the member's
 * village is set and the typed name cleared, what they sent without a village gets it too,
 * the change is audited, and the person is told in chat.
 */
export async function setMemberVillage(ctx: Ctx, actor: Actor, memberId: string, villageCode: string): Promise<UnmatchedView & { villageCode: string; villageName: string }> {
  assertAdmin(actor);
  const village = await VillageModel.findOne({ code: villageCode }, { code: 1, name: 1, kecamatan: 1 }).lean();
  if (!village) throw new WorkspaceError(400, 'unknown_village', `No village with the code ${villageCode}.`);
  const member = await MemberModel.findById(memberId, { name: 1, villageCode: 1, villageOther: 1, role: 1, channel: 1, registeredAt: 1 }).lean();
  if (!member || !member.registeredAt) throw notFound('member');
  if (member.villageCode || !member.villageOther) {
    throw new WorkspaceError(409, 'already_matched', 'This person already has a village from the list.');
  }
  // Guarded: two admins matching the same person at once, one wins; rev as every write to a member.
  const res = await MemberModel.updateOne(
    { _id: member._id, villageCode: null, villageOther: member.villageOther },
    { $set: { villageCode: village.code, villageOther: null }, $inc: { rev: 1 } },
  );
  if (res.modifiedCount === 0) throw new WorkspaceError(409, 'already_matched', 'This person already has a village from the list.');
  const now = ctx.now();
  const [subs, helps] = await Promise.all([
    SubmissionModel.updateMany({ memberId: member._id, villageCode: null, flowId: { $ne: 'daftar' } }, { $set: { villageCode: village.code, villageName: village.name } }),
    HelpRequestModel.updateMany({ memberId: member._id, villageCode: null }, { $set: { villageCode: village.code } }),
  ]);
  await audit(actor, {
    action: 'member.village_set', targetType: 'member', targetId: String(member._id), villageCode: village.code,
    details: { villageOther: member.villageOther, villageCode: village.code, submissions: subs.modifiedCount, helpRequests: helps.modifiedCount },
  }, now);
  try {
    await ctx.notifyMember(String(member._id), { key: 'workspace:notice.village_set', params: { village: village.name, kecamatan: village.kecamatan, typed: member.villageOther } });
  } catch (err) {
    ctx.logger.warn({ err, memberId }, 'Could not tell the person about their village');
  }
  return {
    id: String(member._id), name: member.name ?? null, villageOther: member.villageOther, kecamatan: village.kecamatan, role: member.role, channel: member.channel,
    registeredAt: member.registeredAt.toISOString(), villageCode: village.code, villageName: village.name,
  };
}
