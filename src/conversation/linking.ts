/**
 * One person on two channels. `hubungkan` gives a 6-digit code (10 minutes, 5 tries); the code
 * sent from the other channel links both accounts to one member: the one registered (the older
 * registration when both were) is kept, the other's addresses, run and reports move onto it
 * (db/repositories/links.ts). `pakai whatsapp` / `pakai telegram` choose where proactive
 * messages go; without a choice they go where the person wrote last.
 *
 * Durable at every line: the code records the message that used it and the plan, so the same
 * message handled again (a crash, or the guarded commit finding the member changed: it always
 * does, as the merge writes it) finishes the same link and says the same thing.
 */
import {
  countWrongLinkCode, findLinkCode, findMemberById, finishLink, issueLinkCode, LINK_CODE_TRIES, LINK_CODE_TTL_MS, useLinkCode, type LinkPlan,
} from '../db/repositories/links.js';
import { addressesOf, type MemberState } from '../db/repositories/members.js';
import { formatLongDate } from '../time/index.js';
import type { ConversationKit } from './kit.js';
import { idleOrReprompt } from './runs.js';
import type { Turn } from './turn.js';

/** The channels a person can link and choose between. */
export const LINKABLE = ['telegram', 'whatsapp'] as const;
export type LinkableChannel = (typeof LINKABLE)[number];

const CHANNEL_NAMES: Record<string, string> = { telegram: 'Telegram', whatsapp: 'WhatsApp', web: 'Web' };
export const channelName = (channel: string) => CHANNEL_NAMES[channel] ?? channel;

/** A code as typed: 6 digits, maybe with a space or dash in the middle ("123 456"). */
export function parseLinkCode(text: string): string | null {
  const m = /^\s*(\d{3})[\s-]?(\d{3})\s*$/.exec(text);
  return m ? `${m[1]}${m[2]}` : null;
}

/** `hubungkan`: a fresh code for this account, to be sent from the other one. */
export async function giveLinkCode(kit: ConversationKit, turn: Turn): Promise<void> {
  const t = kit.t(turn.member);
  const other = LINKABLE.find((c) => c !== turn.message.channel) ?? 'whatsapp';
  if (!LINKABLE.includes(turn.message.channel as LinkableChannel)) return void turn.say({ text: t('bot:link.notHere') }, ...(await idleOrReprompt(kit, turn)));
  const code = await issueLinkCode(turn.member._id, turn.message.channel, kit.now());
  turn.wrote();
  turn.say({ text: t('bot:link.code', { code, other: channelName(other), minutes: LINK_CODE_TTL_MS / 60_000 }) }, ...(await idleOrReprompt(kit, turn)));
}

/** A code sent from the other account: links both, or says kindly why not. */
export async function redeemLinkCode(kit: ConversationKit, turn: Turn, code: string): Promise<void> {
  const t = kit.t(turn.member);
  const now = kit.now();
  const failures = failuresNow(turn.member, now);
  if (failures >= LINK_CODE_TRIES) return void turn.say({ text: t('bot:link.tooMany') }, ...(await idleOrReprompt(kit, turn)));
  const doc = await findLinkCode(code, turn.message.messageId, now);
  if (!doc) return wrongCode(kit, turn, failures);
  turn.wrote();
  let plan: LinkPlan | null = doc.usedBy ? (doc.usedBy as unknown as LinkPlan) : null;
  if (!plan) {
    const refusal = await refuse(turn, doc);
    if (refusal) return void turn.say({ text: t(refusal) }, ...(await idleOrReprompt(kit, turn)));
    plan = await planLink(kit, doc.memberId, turn);
    if (!plan || !(await useLinkCode(code, plan, now))) return wrongCode(kit, turn, failures);
  }
  await finishLink(plan, now);
  turn.linked = true;
  const both = [doc.channel, turn.message.channel].map(channelName).join(t('bot:link.and'));
  const lines = [t('bot:link.done', { channels: both })];
  if (plan.bothRegistered && plan.keptRegisteredAt) {
    lines.push(t('bot:link.keptOlder', { channel: channelName(plan.keptChannel), date: formatLongDate(plan.keptRegisteredAt, kit.options.timeZone) }));
  }
  lines.push(t('bot:link.route'));
  turn.say({ text: lines.join('\n\n') });
}

/** Why this code can't link this account (an i18n key), or null. */
async function refuse(turn: Turn, doc: { memberId: MemberState['_id']; channel: string }): Promise<string | null> {
  if (doc.memberId.equals(turn.member._id)) return 'bot:link.ownCode';
  if (doc.channel === turn.message.channel) return 'bot:link.sameChannel';
  const issuer = await findMemberById(doc.memberId);
  if (!issuer) return 'bot:link.ownCode';
  // One account per app: neither side may already have one on the other's app.
  if (addressesOf(issuer).some((a) => a.channel === turn.message.channel)) return 'bot:link.alreadyOther';
  if (addressesOf(turn.member).some((a) => a.channel === doc.channel)) return 'bot:link.alreadyOther';
  return null;
}

/** Which account stays: the registered one; of two registered, the older registration; of none, the one that asked. */
async function planLink(kit: ConversationKit, issuerId: MemberState['_id'], turn: Turn): Promise<LinkPlan | null> {
  const issuer = await findMemberById(issuerId);
  if (!issuer) return null;
  const here = turn.member;
  const issuerFirst = !kit.isRegistered(here) || (kit.isRegistered(issuer) && issuer.registeredAt!.getTime() <= here.registeredAt!.getTime());
  const [keeper, loser] = issuerFirst ? [issuer, here] : [here, issuer];
  return {
    messageId: turn.message.messageId, keeperId: keeper._id, loserId: loser._id, bothRegistered: kit.isRegistered(issuer) && kit.isRegistered(here),
    keptChannel: keeper.channel, keptRegisteredAt: keeper.registeredAt,
  };
}

async function wrongCode(kit: ConversationKit, turn: Turn, failures: number): Promise<void> {
  const now = kit.now();
  await countWrongLinkCode(turn.message.messageId, now);
  turn.update({ linkFailures: failures ? { count: failures + 1, since: turn.member.linkFailures!.since } : { count: 1, since: now } });
  const t = kit.t(turn.member);
  turn.say({ text: t('bot:link.wrong') }, ...(await idleOrReprompt(kit, turn)));
}

/** Wrong codes sent from this account in the last 10 minutes. */
function failuresNow(member: MemberState, now: Date): number {
  const f = member.linkFailures;
  return f?.since && now.getTime() - new Date(f.since).getTime() < LINK_CODE_TTL_MS ? f.count : 0;
}

/** `pakai whatsapp` / `pakai telegram`: proactive messages go there from now on. */
export async function chooseChannel(kit: ConversationKit, turn: Turn, channel: LinkableChannel): Promise<void> {
  const t = kit.t(turn.member);
  if (!addressesOf(turn.member).some((a) => a.channel === channel)) {
    return void turn.say({ text: t('bot:link.notLinked', { channel: channelName(channel) }) }, ...(await idleOrReprompt(kit, turn)));
  }
  turn.update({ preferredChannel: channel });
  turn.say({ text: t('bot:link.use', { channel: channelName(channel) }) }, ...(await idleOrReprompt(kit, turn)));
}
