/** Queueing proactive messages: in chunks (a broadcast may reach thousands), then wake the dispatcher. */
import { enqueue, type OutboxItem } from '../pipeline/outbox.js';
import type { FacilitatorDeps } from './deps.js';
import { nowOf } from './deps.js';
import type { Recipient } from './recipients.js';
import type { OutboundMessage } from '../messages/index.js';

const CHUNK = 500;

export async function queue(items: OutboxItem[], deps: Pick<FacilitatorDeps, 'now' | 'wake'>, between?: () => Promise<boolean>): Promise<number> {
  let written = 0;
  for (let i = 0; i < items.length; i += CHUNK) {
    if (between && i > 0 && !(await between())) break;
    written += (await enqueue(items.slice(i, i + CHUNK), { now: nowOf(deps) })).length;
    // The dispatcher starts on the first chunk while the rest is written.
    deps.wake?.();
  }
  return written;
}

/** One outbox item to one recipient. */
export function itemFor(
  r: Recipient | Omit<Recipient, 'fallback'>,
  id: string,
  kind: OutboxItem['kind'],
  messages: OutboundMessage[],
  extra: Pick<OutboxItem, 'availableAt' | 'expiresAt' | 'broadcastId'> = {},
): OutboxItem {
  const fallback = 'fallback' in r && r.fallback ? { fallback: { channel: r.fallback.channel, to: r.fallback.platformUserId } } : {};
  return { id, kind, channel: r.channel, to: r.platformUserId, memberId: r._id, messages: messages.map((m) => ({ ...m, language: r.language })), ...fallback, ...extra };
}

export function namesOf(codes: string[], names: Map<string, string>): string {
  return codes.map((c) => names.get(c) ?? c).join(', ');
}
