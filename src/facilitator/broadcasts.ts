/**
 * Broadcasts (siaran) by a facilitator or an admin, never a resident: a draft with a preview
 * (how many people, by channel, and how many are left out and why), a confirm, sending through
 * the outbox at the platform's pace, cancelling while it runs, and a report when done: sent,
 * failed (with the platform's reason), blocked, skipped (stopped, no consent, or outside the WhatsApp window without a template).
 *
 * One outbox entry per recipient, id `bc:<broadcast>:<member>`, carrying the broadcast's id:
 * a crash while queueing is finished by the next run of `runBroadcasts` with the same ids, and
 * progress is counted from the outbox itself.
 */
import { Types } from 'mongoose';
import {
  cancelOpenBroadcast, cancelPendingBroadcastMessages, confirmBroadcastDraft, countBroadcastMessages, discardBroadcastDraft, findBroadcast,
  findBroadcastsToReport, findBroadcastsToStart, findRecentBroadcasts, finishBroadcast, insertBroadcastDraft, isBroadcastSending,
  markBroadcastSending, recordBroadcastQueued,
} from '../db/repositories/broadcasts.js';
import type { Translate } from '../i18n.js';
import { nextAllowed } from '../time/index.js';
import { nowOf, type FacilitatorDeps } from './deps.js';
import { itemFor, queue } from './queue.js';
import { countAudience, reachableByIds, reachableMembers, translators, type AudienceCount } from './recipients.js';

export interface BroadcastInput {
  /** The message per language ({ id } at least); a reader without their language gets `id`. */
  text: Record<string, string>;
  villageCodes: string[];
  /** Empty: every role. */
  roles?: string[];
  createdBy?: Types.ObjectId | string | null;
  createdByName?: string | null;
  /** Not before this moment (default: when confirmed). */
  scheduledAt?: Date;
  /** From a staff member of the chat simulator: to the simulator's people only. */
  simulatorOnly?: boolean;
}

type Audience = { audience?: { villageCodes?: string[] | null; roles?: string[] | null; simulatorOnly?: boolean | null } | null };
/** A broadcast's audience as countAudience and reachableMembers take it. */
const audienceOf = (b: Audience) => [b.audience?.villageCodes ?? [], b.audience?.roles ?? [], b.audience?.simulatorOnly === true] as const;

export interface BroadcastProgress {
  status: string;
  recipients: number;
  sent: number;
  failed: number;
  blocked: number;
  /** Left out or given up: stopped (berhenti), no consent, or expired in the outbox. */
  skipped: number;
  cancelled: number;
  pending: number;
  failedReasons: Record<string, number>;
  /** Sent by route: the channel, or 'whatsapp>telegram' for a closed WhatsApp window sent to the linked Telegram. */
  routes: Record<string, number>;
  excluded: { optedOut: number; blocked: number; noConsent: number };
}

export class BroadcastError extends Error {
  override name = 'BroadcastError';
  constructor(
    readonly reason: 'not-found' | 'invalid' | 'not-draft',
    message: string,
  ) {
    super(message);
  }
}

export const BROADCAST_MAX_LENGTH = 1000;

/** Makes a draft and returns it with its preview. With `id`, a repeat returns the same draft. */
export async function createBroadcastDraft(
  input: BroadcastInput,
  deps: FacilitatorDeps,
  options: { id?: Types.ObjectId | string } = {},
): Promise<{ id: Types.ObjectId; preview: AudienceCount }> {
  const idText = input.text.id?.trim();
  if (!idText) throw new BroadcastError('invalid', 'A broadcast needs a text.');
  if (Object.values(input.text).some((t) => t.length > BROADCAST_MAX_LENGTH)) throw new BroadcastError('invalid', `At most ${BROADCAST_MAX_LENGTH} characters.`);
  if (input.villageCodes.length === 0) throw new BroadcastError('invalid', 'A broadcast needs at least one village.');
  const _id = new Types.ObjectId(options.id ?? undefined);
  const now = nowOf(deps);
  await insertBroadcastDraft(_id, {
    text: Object.fromEntries(Object.entries(input.text).map(([k, v]) => [k, v.trim()])),
    audience: { villageCodes: [...new Set(input.villageCodes)].sort(), roles: input.roles ?? [], simulatorOnly: input.simulatorOnly === true },
    scheduledAt: input.scheduledAt ?? now,
    createdBy: input.createdBy ? new Types.ObjectId(input.createdBy) : null, createdByName: input.createdByName ?? null,
  });
  const b = await findBroadcast(_id);
  return { id: _id, preview: await countAudience(...audienceOf(b!)) };
}

export async function previewBroadcast(id: Types.ObjectId | string): Promise<AudienceCount> {
  const b = await findBroadcast(id);
  if (!b) throw new BroadcastError('not-found', 'No such broadcast.');
  return countAudience(...audienceOf(b));
}

/**
 * Confirms a draft: it is queued now (or from its scheduledAt when that is later). A second
 * confirm (a double tap) is a no-op. Returns when the first message may go out.
 */
export async function confirmBroadcast(id: Types.ObjectId | string, deps: FacilitatorDeps): Promise<{ recipients: number; availableAt: Date }> {
  const confirmed = await confirmBroadcastDraft(id);
  const b = confirmed ?? (await findBroadcast(id));
  if (!b) throw new BroadcastError('not-found', 'No such broadcast.');
  if (!confirmed) throw new BroadcastError('not-draft', `The broadcast is ${b.status}.`);
  const now = nowOf(deps);
  if (b.scheduledAt.getTime() > now.getTime()) return { recipients: 0, availableAt: nextAllowed(b.scheduledAt, deps.quietHours, deps.timeZone) };
  return startSending(b._id, deps);
}

/** Drops a draft that was not confirmed. */
export async function discardBroadcast(id: Types.ObjectId | string): Promise<boolean> {
  return discardBroadcastDraft(id, new Date());
}

/** Queues a scheduled (or interrupted) broadcast for every reachable recipient. */
async function startSending(id: Types.ObjectId, deps: FacilitatorDeps): Promise<{ recipients: number; availableAt: Date }> {
  const now = nowOf(deps);
  const b = await markBroadcastSending(id);
  const availableAt = nextAllowed(new Date(Math.max(now.getTime(), b?.scheduledAt.getTime() ?? 0)), deps.quietHours, deps.timeZone);
  if (!b) return { recipients: 0, availableAt };
  const audience = await countAudience(...audienceOf(b));
  const recipients = await reachableMembers(...audienceOf(b));
  const text = b.text instanceof Map ? Object.fromEntries(b.text) : (b.text as Record<string, string>);
  const tr = translators(deps.i18n);
  const items = recipients.map((r) => {
    const t = tr(r.language);
    const body = text[r.language] ?? text.id ?? Object.values(text)[0] ?? '';
    const header = b.createdByName ? t('broadcast:siaran.header', { name: b.createdByName }) : t('broadcast:siaran.headerAnonymous');
    return itemFor(r, `bc:${String(b._id)}:${String(r._id)}`, 'broadcast', [{ text: `${header}\n\n${body}` }], { availableAt, broadcastId: b._id });
  });
  const stillOn = () => isBroadcastSending(b._id);
  await queue(items, deps, stillOn);
  await recordBroadcastQueued(b._id, now, recipients.length, { optedOut: audience.optedOut, blocked: audience.blocked, noConsent: audience.noConsent });
  // Cancelled while queueing: what was written after the cancel is cancelled too.
  if (!(await stillOn())) await cancelPendingBroadcastMessages(b._id, now);
  return { recipients: recipients.length, availableAt };
}

/** Stops a broadcast: nothing still waiting goes out. Returns false when it had already finished. */
export async function cancelBroadcast(id: Types.ObjectId | string, deps: Pick<FacilitatorDeps, 'now' | 'wake'>): Promise<boolean> {
  const now = nowOf(deps);
  const b = await cancelOpenBroadcast(id, now);
  if (!b) return false;
  await cancelPendingBroadcastMessages(b._id, now);
  deps.wake?.();
  return true;
}

export async function broadcastProgress(id: Types.ObjectId | string): Promise<BroadcastProgress> {
  const b = await findBroadcast(id);
  if (!b) throw new BroadcastError('not-found', 'No such broadcast.');
  const rows = await countBroadcastMessages(b._id);
  const excluded = { optedOut: b.excluded?.optedOut ?? 0, blocked: b.excluded?.blocked ?? 0, noConsent: b.excluded?.noConsent ?? 0 };
  const p: BroadcastProgress = {
    status: b.status, recipients: b.recipientCount ?? 0, sent: 0, failed: 0, blocked: excluded.blocked, skipped: excluded.optedOut + excluded.noConsent,
    cancelled: 0, pending: 0, failedReasons: {}, routes: {}, excluded,
  };
  const routes = new Map<string, number>();
  // The platforms' error texts are counted in a Map: any text (even "__proto__") is just a reason.
  const reasons = new Map<string, number>();
  for (const r of rows) {
    const s = r.status;
    if (s === 'sent') {
      p.sent += r.n;
      const route = r.route === 'fallback' ? `whatsapp>${r.channel}` : r.channel;
      routes.set(route, (routes.get(route) ?? 0) + r.n);
    } else if (s === 'failed') {
      p.failed += r.n;
      const reason = r.error ?? '?';
      reasons.set(reason, (reasons.get(reason) ?? 0) + r.n);
    } else if (s === 'blocked') p.blocked += r.n;
    else if (s === 'skipped') p.skipped += r.n;
    else if (s === 'cancelled') p.cancelled += r.n;
    else p.pending += r.n;
  }
  p.failedReasons = Object.fromEntries(reasons);
  p.routes = Object.fromEntries([...routes].sort((a, b) => a[0].localeCompare(b[0])));
  return p;
}

/**
 * The broadcasts job: starts scheduled broadcasts whose time has come, finishes queueing any
 * interrupted by a crash, and when one has nothing left in the outbox marks it done and tells
 * its author the figures.
 */
export async function runBroadcasts(deps: FacilitatorDeps): Promise<number> {
  const now = nowOf(deps);
  let touched = 0;
  for (const _id of await findBroadcastsToStart(now)) {
    await startSending(_id, deps);
    touched++;
  }
  for (const _id of await findBroadcastsToReport()) {
    const progress = await broadcastProgress(_id);
    if (progress.pending > 0) continue;
    const finished = await finishBroadcast(_id, now, { ...progress }, progress.status === 'sending');
    if (!finished) continue;
    touched++;
    await report(finished, progress, deps);
  }
  return touched;
}

async function report(
  b: { _id: Types.ObjectId; createdBy?: Types.ObjectId | null; text: unknown; status: string },
  p: BroadcastProgress,
  deps: FacilitatorDeps,
): Promise<void> {
  if (!b.createdBy) return;
  const [author] = await reachableByIds([b.createdBy]);
  if (!author) return;
  const t = translators(deps.i18n)(author.language);
  await queue([itemFor(author, `bc-report:${String(b._id)}`, 'notice', [{ text: progressText(b, p, t) }])], deps);
}

export function progressText(b: { text: unknown; status: string }, p: BroadcastProgress, t: Translate): string {
  const text = b.text instanceof Map ? (b.text.get('id') as string | undefined) : (b.text as Record<string, string>).id;
  const excerpt = (text ?? '').length > 60 ? `${(text ?? '').slice(0, 57)}...` : (text ?? '');
  const head = p.status === 'cancelled' ? 'broadcast:siaran.reportCancelled' : p.pending > 0 ? 'broadcast:siaran.reportRunning' : 'broadcast:siaran.reportDone';
  const reasons = Object.entries(p.failedReasons).sort((a, b2) => b2[1] - a[1]).slice(0, 3).map(([r, n]) => `${r} (${n})`).join('; ');
  const lines = [
    t(head, { excerpt }),
    t('broadcast:siaran.sent', { count: p.sent }) + routesText(p.routes, t),
    t('broadcast:siaran.failed', { count: p.failed }) + (reasons ? ` - ${reasons}` : ''),
    t('broadcast:siaran.blocked', { count: p.blocked }),
    t('broadcast:siaran.skipped', { count: p.skipped }),
  ];
  if (p.cancelled) lines.push(t('broadcast:siaran.cancelledCount', { count: p.cancelled }));
  if (p.pending) lines.push(t('broadcast:siaran.pending', { count: p.pending }));
  return lines.join('\n');
}

/** " (WhatsApp: 3, Telegram: 2, ke Telegram karena WhatsApp di luar 24 jam: 1)", or nothing. */
function routesText(routes: Record<string, number> | undefined, t: Translate): string {
  const parts = Object.entries(routes ?? {}).map(([route, n]) => t(`broadcast:siaran.route.${route.replace('>', '_')}`, { count: n, defaultValue: `${route}: ${n}` }));
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** A member's recent broadcasts (newest first), for the `siaran` command. */
export async function recentBroadcasts(createdBy: Types.ObjectId, limit = 3): Promise<{ _id: Types.ObjectId; status: string; text: unknown }[]> {
  return findRecentBroadcasts(createdBy, limit);
}
