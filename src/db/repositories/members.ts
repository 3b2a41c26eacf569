/**
 * Members: one document per person per channel, holding their state, their active run and the
 * "handled" marks of the last messages that changed it. The conversation service reads a
 * member once (then caches it) and writes it with one guarded update per message.
 *
 * Index: { channel, platformUserId } unique (models/member.ts) serves every lookup here by
 * primary address, { 'links.key' } the lookup by a linked one; _id serves the guarded commit.
 */
import { Types } from 'mongoose';
import type { Language, Role } from '../models.js';
import { MemberModel } from '../models.js';
import { Coalescer, DuplicateKey, insertIgnoringDuplicates } from '../coalesce.js';
import type { Address, OutboundMessage, ReplyContext } from '../../messages/index.js';
import type { RunState } from '../../engine/index.js';

export interface ProxyEntry {
  forName: string;
  villageCode: string;
  consentAloud: true;
  consentAt: Date;
}

export interface ActiveRun {
  id: Types.ObjectId;
  flowId: string;
  flowVersion: number;
  state: RunState;
  startedAt: Date;
  lastActivityAt: Date;
  expiresAt: Date;
  reminderSentAt: Date | null;
  /** Filled on behalf of a resident (the proxy flow): the submission is theirs, entered by the member. */
  proxy?: ProxyEntry | null;
}

/** Another address of the same person (a linked channel, or WhatsApp's business-scoped id). */
export interface LinkedAddress {
  key: string;
  channel: string;
  platformUserId: string;
  linkedAt: Date;
}

/** The member document as the service reads and writes it (plain, lean). */
export interface MemberState {
  _id: Types.ObjectId;
  channel: string;
  platformUserId: string;
  name: string | null;
  villageCode: string | null;
  villageOther?: string | null;
  role: Role;
  language: Language;
  consent: { version: string; givenAt: Date; guardianConsent?: boolean } | null;
  registeredAt: Date | null;
  optedOut: boolean;
  /** "berhenti kabar": no monthly village news. */
  newsOff?: boolean;
  blocked: boolean;
  lastInboundAt: Date | null;
  links?: LinkedAddress[];
  /** When the person last wrote on each channel (absent on members older than linking). */
  seenAt?: Partial<Record<string, Date>>;
  preferredChannel?: 'telegram' | 'whatsapp' | null;
  linkFailures?: { count: number; since: Date | null };
  pendingConfirmation: 'deletedata' | 'cancel' | null;
  roleCodeId?: Types.ObjectId | null;
  codeFailures?: { count: number; since: Date | null };
  run: ActiveRun | null;
  promptSeq: number;
  handled: string[];
  /**
   * The replies of the last few turns, written with the commit that made them: a message handled
   * again (its platform or the inbox sends it again after a crash between the commit and the
   * send) finds its reply here and sends it, instead of an outbox entry written for every reply.
   */
  owed?: OwedReply[];
  rev: number;
  /** A first contact not stored yet (findOrNewMember): its first commit inserts it. Never stored. */
  unsaved?: true;
}

/**
 * A reply as committed with its turn (see MemberState.owed). Its messages are kept as one JSON
 * string: the database never looks inside, and one string costs a fraction of the nested
 * documents (a list of 24 villages is 24 of them) to store on every answer.
 */
export interface OwedReply {
  id: string;
  body: string;
}

export function owedReply(id: string, messages: OutboundMessage[], replyTo: ReplyContext | null): OwedReply {
  return { id, body: JSON.stringify({ messages, replyTo }) };
}

/** The messages of a reply owed by its id, or null. */
export function findOwed(owed: OwedReply[] | undefined, id: string): { messages: OutboundMessage[]; replyTo: ReplyContext | null } | null {
  const found = owed?.find((o) => o.id === id);
  return found ? (JSON.parse(found.body) as { messages: OutboundMessage[]; replyTo: ReplyContext | null }) : null;
}

export function memberKey(channel: string, platformUserId: string): string {
  return `${channel}:${platformUserId}`;
}

/** Every address of a member: the primary one first, then the linked ones. */
export function addressesOf(m: { channel: string; platformUserId: string; links?: LinkedAddress[] | null }): Address[] {
  return [{ channel: m.channel, platformUserId: m.platformUserId } as Address, ...(m.links ?? []).map((l) => ({ channel: l.channel, platformUserId: l.platformUserId }) as Address)];
}

/** When the person last wrote on this channel (members older than linking: their one channel's lastInboundAt). */
export function lastSeenOn(m: { channel: string; lastInboundAt?: Date | null; seenAt?: Partial<Record<string, Date>> | null }, channel: string): Date | null {
  return m.seenAt?.[channel] ?? (m.channel === channel ? (m.lastInboundAt ?? null) : null);
}

/** Where a proactive message goes, and where instead when WhatsApp's window is closed without a template. */
export interface ProactiveRoute {
  channel: string;
  platformUserId: string;
  fallback: { channel: string; platformUserId: string } | null;
}

type Routable = { channel: string; platformUserId: string; links?: LinkedAddress[] | null; lastInboundAt?: Date | null; seenAt?: Partial<Record<string, Date>> | null; preferredChannel?: string | null };

/**
 * The channel the person chose (`pakai ...`), else the one they wrote on last; a WhatsApp route
 * falls back to their linked Telegram (the dispatcher takes it when the window is closed).
 */
export function proactiveRoute(m: Routable): ProactiveRoute {
  const addresses = addressesOf(m);
  const seen = (channel: string) => lastSeenOn(m, channel)?.getTime() ?? -1;
  const chosen = addresses.some((a) => a.channel === m.preferredChannel)
    ? m.preferredChannel!
    : addresses.reduce((best, a) => (seen(a.channel) > seen(best) ? a.channel : best), m.channel);
  const to = addresses.find((a) => a.channel === chosen)!;
  const telegram = chosen === 'whatsapp' ? addresses.find((a) => a.channel === 'telegram') : undefined;
  return { channel: to.channel, platformUserId: to.platformUserId, fallback: telegram ? { channel: telegram.channel, platformUserId: telegram.platformUserId } : null };
}

/** The filter for a member reachable at any of these addresses (as primary or as a link). */
export function byAnyAddress(addresses: Address[]): Record<string, unknown> {
  return { $or: [...addresses.map((a) => ({ channel: a.channel, platformUserId: a.platformUserId })), { 'links.key': { $in: addresses.map((a) => memberKey(a.channel, a.platformUserId)) } }] };
}

/**
 * The member at any of these addresses, or null. Two can match only half way through a link
 * (linking.ts: the account given up is deleted last): the one holding the address as a link is
 * the person from now on.
 */
export async function findMemberByAddresses(addresses: Address[]): Promise<MemberState | null> {
  return lookups.submit(addresses);
}

/**
 * Lookups that arrive together (a busy webhook's first contacts) go as one query, each caller
 * picking its own member from the answer (src/db/coalesce.ts): one command for many people.
 */
const lookups = new Coalescer(async (batches: Address[][]): Promise<(MemberState | null)[]> => {
  const docs = (await MemberModel.collection.find(byAnyAddress(batches.flat())).toArray()) as unknown as MemberState[];
  return batches.map((addresses) => {
    const keys = new Set(addresses.map((a) => memberKey(a.channel, a.platformUserId)));
    const mine = docs.filter((d) => keys.has(memberKey(d.channel, d.platformUserId)) || d.links?.some((l) => keys.has(l.key)));
    const doc = mine.find((d) => d.links?.some((l) => keys.has(l.key))) ?? mine[0];
    return doc ? normalizeMember(doc) : null;
  });
});

/**
 * The member at this address (or at one of `otherIds`, the same person's other ids on this
 * channel), or on first contact a new one not stored yet (`unsaved`: unregistered, nothing
 * personal): its first commit inserts it with that turn's state, one write instead of two.
 */
export async function findOrNewMember(address: Address, language: Language, now: Date, otherIds: string[] = []): Promise<MemberState> {
  const found = await findMemberByAddresses([address, ...otherIds.map((id) => ({ channel: address.channel, platformUserId: id }))]);
  if (found) return found;
  return {
    _id: new Types.ObjectId(),
    channel: address.channel,
    platformUserId: address.platformUserId,
    name: null, villageCode: null, villageOther: null, role: 'warga',
    language,
    consent: null, registeredAt: null, optedOut: false, blocked: false, lastInboundAt: now,
    pendingConfirmation: null, roleCodeId: null, codeFailures: { count: 0, since: null },
    run: null, promptSeq: 0, handled: [], rev: 0, createdAt: now, updatedAt: now,
    unsaved: true,
  } as MemberState;
}

/**
 * First contacts that arrive together are inserted with one unordered insert (group commit).
 * A duplicate key means the person was stored a moment before (another instance, or this one
 * racing itself): that caller reads them and redoes its turn.
 */
const insertions = new Coalescer((docs: Record<string, unknown>[]) => insertIgnoringDuplicates(MemberModel.collection, docs as never[]));

/** Stores a member not stored yet, with `set` applied (rev + 1 when `set` is a turn's commit); null when someone stored them first. */
async function insertMember(member: MemberState, set: Record<string, unknown>, bump: boolean): Promise<MemberState | null> {
  const { unsaved: _unsaved, ...doc } = member;
  const stored = { ...doc, ...(set as Partial<MemberState>), rev: member.rev + (bump ? 1 : 0) };
  try {
    await insertions.submit(stored);
  } catch (err) {
    if (err instanceof DuplicateKey) return null;
    throw err;
  }
  return stored;
}

/** A new member stored as it is (before a turn that changes other members too); null when someone stored them first. */
export function saveNewMember(member: MemberState): Promise<MemberState | null> {
  return insertMember(member, {}, false);
}

interface Commit {
  _id: Types.ObjectId;
  rev: number;
  set: Record<string, unknown>;
}

/**
 * Commits of many people leave together (group commit, src/db/coalesce.ts): one unordered bulk
 * of guarded updates is one command and one durable write on the server for all of them, where
 * the server's per-command cost is what limits throughput. When every guard held (the common
 * case) each caller's update is in. When some did not, the bulk's counts do not say whose: each
 * commit also writes a token of its own (`lastCommit`), and the members are read again to see
 * whose token stands. (The revision and the handled mark would not do: two workers handling the
 * same message from the same revision write the same ones.) Each person's commits come one at a
 * time (the service's per-person queue), so a batch holds a member once.
 */
const commits = new Coalescer(async (items: Commit[]): Promise<boolean[]> => {
  const tokens = items.map(() => new Types.ObjectId().toHexString());
  const result = await MemberModel.collection.bulkWrite(
    items.map((c, i) => ({ updateOne: { filter: { _id: c._id, rev: c.rev }, update: { $set: { ...c.set, lastCommit: tokens[i] }, $inc: { rev: 1 } } } })),
    { ordered: false },
  );
  if (result.matchedCount === items.length) return items.map(() => true);
  const fresh = await MemberModel.collection
    .find({ _id: { $in: items.map((c) => c._id) } }, { projection: { rev: 1, lastCommit: 1 } })
    .toArray();
  const byId = new Map(fresh.map((m) => [String(m._id), m as { rev?: number; lastCommit?: string }]));
  // In, and nobody wrote since (else the caller reads again, as after a refusal).
  return items.map((c, i) => {
    const now = byId.get(String(c._id));
    return now !== undefined && now.lastCommit === tokens[i] && now.rev === c.rev + 1;
  });
});

/**
 * The guarded commit: `set` applied and rev + 1, only if nobody wrote since `rev` was read.
 * Returns the member as it now is (built here, not read back: the guard proves nothing else
 * changed), or null when rev moved on.
 */
export async function commitMember(member: MemberState, set: Record<string, unknown>): Promise<MemberState | null> {
  if (member.unsaved) return insertMember(member, set, true);
  if (!(await commits.submit({ _id: member._id, rev: member.rev, set }))) return null;
  return { ...member, ...(set as Partial<MemberState>), rev: member.rev + 1 };
}

/** The "handled" marks as stored now (after a failed commit: did another process handle this message?). */
export async function handledMarks(memberId: Types.ObjectId): Promise<string[]> {
  const fresh = await MemberModel.collection.findOne({ _id: memberId }, { projection: { handled: 1 } });
  return (fresh?.handled as string[] | undefined) ?? [];
}

/** The platform told us the person blocked (true) or unblocked (false) the bot. */
export async function setMemberBlocked(address: Address, blocked: boolean): Promise<void> {
  await MemberModel.updateOne({ channel: address.channel, platformUserId: address.platformUserId }, { $set: { blocked }, $inc: { rev: 1 } });
}

/** Just enough to tell someone something outside a turn (their id and language), or null. */
export async function findMemberLanguage(address: Address): Promise<{ _id: Types.ObjectId; language: Language } | null> {
  const m = await MemberModel.findOne(byAnyAddress([address]), { _id: 1, language: 1 }).lean();
  return m ? { _id: m._id, language: m.language === 'en' ? 'en' : 'id' } : null;
}

/** What the simulator shows of a member (its id, name, role, village and language), or null. */
export async function findMemberProfile(address: Address): Promise<{ _id: Types.ObjectId; name?: string | null; role: Role; villageCode?: string | null; language: Language } | null> {
  return MemberModel.findOne({ channel: address.channel, platformUserId: address.platformUserId }, { name: 1, role: 1, villageCode: 1, language: 1 }).lean();
}

/** When the person last wrote to us on this address's channel (the WhatsApp service window), or null. */
export async function findLastInboundAt(address: Address): Promise<Date | null> {
  const member = await findMemberByAddresses([address]);
  return member ? lastSeenOn(member, address.channel) : null;
}

export function normalizeMember(doc: MemberState): MemberState {
  return {
    ...doc,
    handled: doc.handled ?? [],
    promptSeq: doc.promptSeq ?? 0,
    rev: doc.rev ?? 0,
    run: doc.run ?? null,
    pendingConfirmation: doc.pendingConfirmation ?? null,
  };
}

/* ---- Runs about to expire (index { 'run.expiresAt' }, models/member.ts) ---- */

/** A member with an active run, as the run sweep reads them. */
export interface MemberWithRun {
  _id: Types.ObjectId;
  channel: string;
  platformUserId: string;
  language?: string;
  optedOut?: boolean;
  blocked?: boolean;
  rev: number;
  run: ActiveRun;
  /** Where a reminder goes (proactiveRoute). */
  links?: LinkedAddress[];
  seenAt?: Partial<Record<string, Date>>;
  lastInboundAt?: Date | null;
  preferredChannel?: string | null;
}

/** Members whose run expired by `now`. */
export async function findMembersWithRunExpiredBy(now: Date): Promise<MemberWithRun[]> {
  return (await MemberModel.find({ 'run.expiresAt': { $lte: now } }, { channel: 1, platformUserId: 1, rev: 1, run: 1 }).lean()) as unknown as MemberWithRun[];
}

/** Members whose run expires after `now` but by `remindFrom`, not yet reminded. */
export async function findMembersWithRunToRemind(now: Date, remindFrom: Date): Promise<MemberWithRun[]> {
  return (await MemberModel.find(
    { 'run.reminderSentAt': null, 'run.expiresAt': { $gt: now, $lte: remindFrom } },
    { channel: 1, platformUserId: 1, language: 1, optedOut: 1, blocked: 1, rev: 1, run: 1, links: 1, seenAt: 1, lastInboundAt: 1, preferredChannel: 1 },
  ).lean()) as unknown as MemberWithRun[];
}

/** Drops the member's run, guarded by rev (by _id); false when someone wrote since. */
export async function clearRunIfUnchanged(memberId: Types.ObjectId, rev: number): Promise<boolean> {
  const res = await MemberModel.updateOne({ _id: memberId, rev }, { $set: { run: null }, $inc: { rev: 1 } });
  return res.modifiedCount > 0;
}

/** Marks the run reminded, guarded by rev (by _id); false when someone wrote since. */
export async function claimRunReminder(memberId: Types.ObjectId, rev: number, now: Date): Promise<boolean> {
  const res = await MemberModel.updateOne({ _id: memberId, rev }, { $set: { 'run.reminderSentAt': now }, $inc: { rev: 1 } });
  return res.modifiedCount > 0;
}

/* ---- Retention (no index: a daily scan over members) ---- */

/** Members last heard from before `before`: registered (consent on record) or not. */
export async function findMembersSilentSince(before: Date, registered: boolean): Promise<{ _id: Types.ObjectId; channel: string; platformUserId: string }[]> {
  return MemberModel.find({ consent: registered ? { $ne: null } : null, lastInboundAt: { $lt: before } }, { _id: 1, channel: 1, platformUserId: 1 }).lean();
}

/* ---- The command line's admin (no index on role: run by hand, rarely) ---- */

/** The first admin made, or null. */
export async function findFirstAdminId(): Promise<Types.ObjectId | null> {
  const existing = await MemberModel.findOne({ role: 'admin' }, { _id: 1 }).sort({ createdAt: 1 }).lean();
  return existing ? existing._id : null;
}

/** A workspace-only admin (no chat account behind it); its id. */
export async function createWorkspaceAdmin(platformUserId: string, name: string, now: Date): Promise<Types.ObjectId> {
  const created = await MemberModel.create({ channel: 'web', platformUserId, name, role: 'admin', registeredAt: now });
  return created._id;
}

/** A member's role (by _id), or null when there is no such member. */
export async function findMemberRole(id: string): Promise<Role | null> {
  return (await MemberModel.findById(id, { role: 1 }).lean())?.role ?? null;
}

/** What the workspace needs of a member to make them an actor (access.ts), or null. */
export async function findMemberForAccess(memberId: string | Types.ObjectId): Promise<{
  _id: Types.ObjectId; name?: string | null; role?: string | null; villageCode?: string | null; language?: string | null; channel: string; platformUserId: string;
} | null> {
  return MemberModel.findById(memberId, { name: 1, role: 1, villageCode: 1, language: 1, channel: 1, platformUserId: 1 }).lean();
}
