/**
 * The seam between the pipeline and the platforms. Each channel (telegram, whatsapp, web)
 * implements OutboundChannel and registers itself in a ChannelRegistry; the dispatcher and
 * the services only ever see this interface, never a platform's payloads.
 */
import type { ChannelName, OutboundMessage, ReplyContext } from '../messages/index.js';

/** What a channel can show: the service's structured prompts are rendered within these. */
export interface ChannelCapabilities {
  /** Inline/reply buttons at all, and how many on one message. */
  buttons: boolean;
  maxButtons: number;
  /** A list picker (WhatsApp list message) and its row limit. */
  lists: boolean;
  maxListRows: number;
  /** Can edit a sent message in place (Telegram: multiple-choice toggles). */
  editing: boolean;
  maxButtonTitle: number;
  maxText: number;
  /** Proactive messages outside a conversation window need templates (WhatsApp). */
  templates: boolean;
}

/** Platform pace, enforced by the dispatcher before it calls send(). */
export interface ChannelRateLimits {
  /** Messages per second across all chats. */
  perSecond: number;
  /** Sustained messages per second to one chat, and the burst allowed on top. */
  perChatPerSecond: number;
  perChatBurst: number;
}

export interface SendRequest {
  to: string;
  messages: OutboundMessage[];
  replyTo: ReplyContext | null;
  /** How many of `messages` were already sent in an earlier attempt: start after them. */
  alreadySent: number;
  kind: string;
  /**
   * The dispatcher's pacing: await it before each platform message after the first one of this
   * request (the first one's turn was taken before send() was called). Absent: send at once.
   */
  pace?: () => Promise<void>;
  /**
   * Await it after each message of a batch but the last went out, with the total sent so far
   * (counting alreadySent) and that message's platform ids: the dispatcher records progress
   * so a crash mid-batch does not repeat what already went out. Never throws.
   */
  progress?: (sentCount: number, platformMessageIds: string[]) => Promise<void>;
}

/**
 * `sentCount` is the number of `messages` sent in total (counting `alreadySent`), and
 * `platformMessageIds` the ids of what this attempt sent.
 */
export type SendResult =
  | { ok: true; platformMessageIds: string[] }
  /**
   * Try again later: 429, network, 5xx. `retryAfterMs` when the platform said how long;
   * `scope: 'channel'` when the limit hit is the whole channel's (not only this chat's).
   */
  | { ok: false; outcome: 'retry'; error: string; retryAfterMs?: number; scope?: 'chat' | 'channel'; sentCount: number; platformMessageIds: string[] }
  /** The person blocked the bot (Telegram 403): mark the member, never retry. */
  | { ok: false; outcome: 'blocked'; error: string; sentCount: number; platformMessageIds: string[] }
  /** Outside the customer-service window without a template (WhatsApp 131047): recorded, not retried. */
  | { ok: false; outcome: 'window-closed'; error: string; sentCount: number; platformMessageIds: string[] }
  /** Not sent on purpose (WhatsApp: outside the window with no template for this kind): recorded as skipped. */
  | { ok: false; outcome: 'skipped'; error: string; sentCount: number; platformMessageIds: string[] }
  /** A permanent refusal (bad request): recorded with the platform's reason. */
  | { ok: false; outcome: 'failed'; error: string; sentCount: number; platformMessageIds: string[] };

export interface OutboundChannel {
  readonly name: ChannelName;
  readonly capabilities: ChannelCapabilities;
  readonly rateLimits: ChannelRateLimits;
  send(request: SendRequest): Promise<SendResult>;
}

export class ChannelRegistry {
  private readonly channels = new Map<ChannelName, OutboundChannel>();

  register(channel: OutboundChannel): void {
    this.channels.set(channel.name, channel);
  }

  get(name: string): OutboundChannel | undefined {
    return this.channels.get(name as ChannelName);
  }

  names(): ChannelName[] {
    return [...this.channels.keys()];
  }
}
