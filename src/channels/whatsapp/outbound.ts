/**
 * The WhatsApp channel's outbound side, driven by the dispatcher: renders each OutboundMessage
 * (render.ts) and sends it with POST /{version}/{phone-number-id}/messages. One call at a time,
 * no in-memory retries: a refusal is a SendResult and the outbox retries durably.
 *
 * The 24-hour customer-service window: a reply answers a message, so it goes free-form. A
 * proactive message (reminder, workshop news, broadcast, alert, notice) goes free-form only while
 * the member's last message is under 24 hours old; outside it as the template configured for its
 * kind (its text as the one body parameter), or, without one, it is recorded as skipped. It is
 * never sent free-form outside the window.
 *
 * Errors by Meta's code, never by text: throttling (4, 80007, 130429, 131048, 131056, 133016)
 * -> retry after a wait (131056 is one person's pace: that chat waits; the others the whole
 * number); 131047 (window closed) -> window-closed, not retried; network and 5xx -> retry; any
 * other -> failed with the platform's message.
 */
import type { ChannelCapabilities, ChannelRateLimits, OutboundChannel, SendRequest, SendResult } from '../channel.js';
import type { OutboundMessage } from '../../messages/index.js';
import type { Logger } from '../../logging/logger.js';
import type { FlowMedia } from '../../media/flow-media.js';
import { GraphError, type GraphClient } from './graph.js';
import { DEFAULT_WHATSAPP_TEXTS, renderMessage, WA_LIMITS, type GraphMessage, type WhatsAppTexts } from './render.js';

export const WHATSAPP_CAPABILITIES: ChannelCapabilities = {
  buttons: true,
  maxButtons: WA_LIMITS.buttons,
  lists: true,
  maxListRows: WA_LIMITS.rows,
  editing: false,
  maxButtonTitle: WA_LIMITS.buttonTitle,
  maxText: WA_LIMITS.text,
  templates: true,
};

/**
 * 80 messages/s per number (inbound and outbound together: room is kept for the inbound). To one
 * person Meta allows bursts (a conversation's replies) and about 1 message per 6 s sustained; a
 * 131056 answer makes that one chat wait 6 s, so the pace here is a conversation's, not a broadcast's.
 */
export const WHATSAPP_RATE_LIMITS: ChannelRateLimits = { perSecond: 60, perChatPerSecond: 1, perChatBurst: 20 };

export const WINDOW_MS = 24 * 3600_000;
/** Codes Meta uses for "too fast". */
export const THROTTLING_CODES = new Set([4, 80007, 130429, 131048, 131056, 133016]);
export const WINDOW_CLOSED_CODE = 131047;

export interface TemplateRef {
  name: string;
  language: string;
}

export interface WhatsAppOutboundOptions {
  graph: GraphClient;
  phoneNumberId: string;
  logger: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** When the member last wrote (the window's start), or null when never / unknown. */
  lastInboundAt(to: string): Promise<Date | null>;
  /** Template per proactive kind ('reminder', 'workshop', 'broadcast', 'alert', 'notice'). */
  templates?: Partial<Record<string, TemplateRef>>;
  textsByLanguage?: Record<string, Partial<WhatsAppTexts>>;
  now?: () => Date;
  rateLimits?: Partial<ChannelRateLimits>;
  /** Where questions' pictures are linked from (WhatsApp fetches the link); without it they are not sent. */
  flowMedia?: FlowMedia;
}

/** `to` for a phone number (wa_id, digits), `recipient` for a business-scoped user id. */
export function addressOf(to: string): Record<string, string> {
  return /^\d{5,20}$/.test(to) ? { to } : { recipient: to };
}

/** A template parameter: one line (no newlines or tabs, at most 4 spaces in a row), at most 1024 characters. */
export function templateParameter(text: string): string {
  const flat = text.replace(/[\t\r]+/g, ' ').replace(/\n+/g, ' · ').replace(/ {4,}/g, '   ').trim();
  const chars = [...flat];
  return chars.length <= 1024 ? flat : `${chars.slice(0, 1023).join('')}…`;
}

export function createWhatsAppOutbound(options: WhatsAppOutboundOptions): OutboundChannel {
  const { graph, logger } = options;
  const now = options.now ?? (() => new Date());
  const textsFor = (language: string | undefined): WhatsAppTexts => {
    const own = language ? options.textsByLanguage?.[language.slice(0, 2).toLowerCase()] : undefined;
    return { ...DEFAULT_WHATSAPP_TEXTS, ...options.textsByLanguage?.id, ...own };
  };

  async function post(to: string, message: GraphMessage): Promise<string> {
    const res = await graph.post<{ messages?: { id: string }[] }>(`${options.phoneNumberId}/messages`, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      ...addressOf(to),
      ...message,
    });
    const id = res.messages?.[0]?.id;
    if (!id) throw new GraphError(200, 0, 'no message id in the answer');
    return id;
  }

  function failure(err: unknown, sentCount: number, platformMessageIds: string[]): SendResult {
    const base = { sentCount, platformMessageIds };
    if (!(err instanceof GraphError)) return { ok: false, outcome: 'retry', error: err instanceof Error ? err.message : String(err), ...base };
    const error = `${err.code || err.httpStatus}: ${err.message}${err.details ? ` (${err.details})` : ''}`;
    if (THROTTLING_CODES.has(err.code)) {
      const perChat = err.code === 131056;
      return { ok: false, outcome: 'retry', error, retryAfterMs: perChat ? 6000 : err.code === 131048 ? 60_000 : 1000, scope: perChat ? 'chat' : 'channel', ...base };
    }
    if (err.code === WINDOW_CLOSED_CODE) return { ok: false, outcome: 'window-closed', error, ...base };
    if (err.httpStatus === 0 || err.httpStatus >= 500 || err.httpStatus === 429) return { ok: false, outcome: 'retry', error, ...base };
    return { ok: false, outcome: 'failed', error, ...base };
  }

  /** Outside the window: the kind's template with the text as its parameter, or null (skip). */
  function asTemplate(request: SendRequest): GraphMessage | null {
    const template = options.templates?.[request.kind];
    if (!template) return null;
    const text = request.messages.map((m: OutboundMessage) => m.text).join('\n');
    return {
      type: 'template',
      template: {
        name: template.name,
        language: { code: template.language },
        components: [{ type: 'body', parameters: [{ type: 'text', text: templateParameter(text) }] }],
      },
    };
  }

  /** A question's picture, sent by link; none when it has no public address (logged, not retried). */
  function imageMessages(image: NonNullable<OutboundMessage['image']>): GraphMessage[] {
    const link = options.flowMedia?.link(image);
    if (!link) {
      logger.warn({ flow: image.flow, file: image.file }, 'whatsapp: question picture has no public link; sent without it');
      return [];
    }
    return [{ type: 'image', image: { link } }];
  }

  async function send(request: SendRequest): Promise<SendResult> {
    const { to } = request;
    let sent = request.alreadySent;
    const ids: string[] = [];
    let turnTaken = true;
    const pace = async () => {
      if (turnTaken) return void (turnTaken = false);
      await request.pace?.();
    };
    try {
      if (request.kind !== 'reply') {
        const last = await options.lastInboundAt(to);
        const open = last !== null && now().getTime() - last.getTime() < WINDOW_MS;
        if (!open) {
          const template = asTemplate(request);
          if (!template) {
            return { ok: false, outcome: 'skipped', error: `window-closed: no template configured for "${request.kind}"`, sentCount: sent, platformMessageIds: [] };
          }
          await pace();
          ids.push(await post(to, template));
          return { ok: true, platformMessageIds: ids };
        }
      }
      for (let i = sent; i < request.messages.length; i++) {
        const message = request.messages[i]!;
        const got: string[] = [];
        for (const graphMessage of message.image ? imageMessages(message.image) : renderMessage(message, textsFor(message.language))) {
          await pace();
          got.push(await post(to, graphMessage));
        }
        sent = i + 1;
        ids.push(...got);
        if (i < request.messages.length - 1) await request.progress?.(sent, got);
      }
      return { ok: true, platformMessageIds: ids };
    } catch (err) {
      logger.debug({ err: (err as Error).message, kind: request.kind }, 'whatsapp: send refused');
      return failure(err, sent, ids);
    }
  }

  return {
    name: 'whatsapp',
    capabilities: WHATSAPP_CAPABILITIES,
    rateLimits: { ...WHATSAPP_RATE_LIMITS, ...options.rateLimits },
    send,
  };
}
