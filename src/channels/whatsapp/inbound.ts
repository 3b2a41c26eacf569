/**
 * WhatsApp Cloud API webhooks in: the envelope parsed with a schema at the edge, then mapped to
 * what the pipeline knows. A message becomes an InboundMessage (dedupe key: its wamid); a status
 * (sent, delivered, read, failed) becomes a delivery event and never a reply. What cannot be a
 * real notification (odd shapes, other fields) is ignored, never stored.
 *
 * People are addressed by `from` (the phone number, wa_id) or, when only that is given, by the
 * business-scoped user id `from_user_id` (e.g. `ID.1349120865530274`); replies to such an id go
 * out with `recipient` instead of `to` (see outbound.ts). A payload naming both hands the other
 * one on as `otherIds`, so the person stays one member whichever id later messages carry.
 */
import { z } from 'zod';
import type { InboundContent, InboundMessage } from '../../messages/index.js';
import { decodeChoiceId, WAYS_OUT_IDS } from './render.js';

const textSchema = z.object({ body: z.string() });
const interactiveSchema = z.object({
  type: z.string(),
  button_reply: z.object({ id: z.string().min(1), title: z.string() }).loose().optional(),
  list_reply: z.object({ id: z.string().min(1), title: z.string(), description: z.string().optional() }).loose().optional(),
}).loose();
const messageSchema = z
  .object({
    id: z.string().min(1).max(256),
    from: z.string().min(1).max(64).optional(),
    from_user_id: z.string().min(1).max(128).optional(),
    timestamp: z.string().regex(/^\d{1,12}$/),
    type: z.string().min(1),
    text: textSchema.optional(),
    interactive: interactiveSchema.optional(),
    button: z.object({ text: z.string().optional(), payload: z.string().optional() }).loose().optional(),
    location: z.object({ latitude: z.number(), longitude: z.number(), name: z.string().optional(), address: z.string().optional() }).loose().optional(),
    image: z.object({ id: z.string().min(1), mime_type: z.string().optional(), sha256: z.string().optional(), caption: z.string().optional() }).loose().optional(),
    document: z.object({ id: z.string().min(1), mime_type: z.string().optional(), caption: z.string().optional() }).loose().optional(),
    // `voice: true` when recorded in the app; an audio file sent is taken the same way.
    audio: z.object({ id: z.string().min(1), mime_type: z.string().max(100).optional(), voice: z.boolean().optional() }).loose().optional(),
  })
  .loose();
const errorSchema = z.object({ code: z.number().int(), title: z.string().optional(), message: z.string().optional(), error_data: z.object({ details: z.string().optional() }).loose().optional() }).loose();
const statusSchema = z
  .object({
    id: z.string().min(1).max(256),
    status: z.string().min(1),
    timestamp: z.string().regex(/^\d{1,12}$/),
    recipient_id: z.string().optional(),
    recipient_user_id: z.string().optional(),
    errors: z.array(errorSchema).optional(),
  })
  .loose();
const contactSchema = z.object({ wa_id: z.string().optional(), user_id: z.string().optional(), profile: z.object({ name: z.string().max(256).optional() }).loose().optional() }).loose();
const valueSchema = z
  .object({
    messaging_product: z.literal('whatsapp'),
    metadata: z.object({ display_phone_number: z.string().optional(), phone_number_id: z.string() }).loose(),
    contacts: z.array(contactSchema).optional(),
    messages: z.array(messageSchema).optional(),
    statuses: z.array(statusSchema).optional(),
  })
  .loose();
export const webhookSchema = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(
    z.object({
      id: z.string(),
      changes: z.array(z.object({ field: z.string(), value: z.unknown() }).loose()),
    }).loose(),
  ),
});

export type WhatsAppMessage = z.infer<typeof messageSchema>;

/** Message types that are not a person saying something to the bot. */
const SILENT_TYPES = new Set(['reaction', 'system', 'ephemeral', 'request_welcome']);

/** A delivery report for a message the bot sent. */
export interface StatusEvent {
  /** The wamid of the bot's message. */
  messageId: string;
  status: 'sent' | 'delivered' | 'read' | 'failed' | string;
  at: Date;
  recipient: string | null;
  errors: { code: number; title: string }[];
}

export interface MappedWebhook {
  messages: InboundMessage[];
  statuses: StatusEvent[];
  /** Notifications that were not for this number or not understood: logged, nothing else. */
  ignored: string[];
}

/** Parses a verified webhook body. Throws a ZodError only for a body that is not an envelope at all. */
export function mapWebhook(raw: unknown, phoneNumberId?: string): MappedWebhook {
  const envelope = webhookSchema.parse(raw);
  const out: MappedWebhook = { messages: [], statuses: [], ignored: [] };
  for (const entry of envelope.entry) {
    for (const change of entry.changes) {
      if (change.field !== 'messages') {
        out.ignored.push(`field ${change.field}`);
        continue;
      }
      const parsed = valueSchema.safeParse(change.value);
      if (!parsed.success) {
        out.ignored.push(`value: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`);
        continue;
      }
      const value = parsed.data;
      if (phoneNumberId && value.metadata.phone_number_id !== phoneNumberId) {
        out.ignored.push('another phone number');
        continue;
      }
      for (const m of value.messages ?? []) {
        const platformUserId = m.from ?? m.from_user_id;
        if (!platformUserId) {
          out.ignored.push('message without sender');
          continue;
        }
        if (SILENT_TYPES.has(m.type)) {
          // A reaction, or WhatsApp saying a number or id changed: nothing to answer.
          out.ignored.push(`type ${m.type}`);
          continue;
        }
        const own = value.contacts?.find((c) => c.wa_id === platformUserId || c.user_id === platformUserId);
        const contact = own ?? value.contacts?.[0];
        const message: InboundMessage = {
          channel: 'whatsapp',
          platformUserId,
          messageId: m.id,
          receivedAt: new Date(Number(m.timestamp) * 1000),
          content: mapContent(m),
        };
        const name = contact?.profile?.name?.trim();
        if (name) message.profileName = name;
        // Both the phone number and the business-scoped id: the member is found (and linked) by either.
        // Only a contact that names this sender: in a batch, contacts[0] may be someone else.
        const otherIds = [m.from_user_id, own?.wa_id, own?.user_id].filter((id): id is string => !!id && id !== platformUserId);
        if (otherIds.length) message.otherIds = [...new Set(otherIds)];
        out.messages.push(message);
      }
      for (const s of value.statuses ?? []) {
        out.statuses.push({
          messageId: s.id,
          status: s.status,
          at: new Date(Number(s.timestamp) * 1000),
          recipient: s.recipient_id ?? s.recipient_user_id ?? null,
          errors: (s.errors ?? []).map((e) => ({ code: e.code, title: (e.error_data?.details ?? e.message ?? e.title ?? '').slice(0, 300) })),
        });
      }
    }
  }
  return out;
}

/** What one WhatsApp message says, or `unsupported` for what the bot can't read (voice, stickers...). */
export function mapContent(m: WhatsAppMessage): InboundContent {
  switch (m.type) {
    case 'text':
      return m.text ? { kind: 'text', text: m.text.body } : { kind: 'unsupported', what: 'text' };
    case 'interactive': {
      const reply = m.interactive?.button_reply ?? m.interactive?.list_reply;
      if (!reply) return { kind: 'unsupported', what: `interactive:${m.interactive?.type ?? ''}` };
      return fromReplyId(reply.id, reply.title);
    }
    case 'button': {
      // A quick-reply button of a template: its payload when it is one of ours, else its text.
      const payload = m.button?.payload ?? '';
      const text = m.button?.text ?? payload;
      return decodeChoiceId(payload) ? fromReplyId(payload, text) : { kind: 'text', text };
    }
    case 'location': {
      const l = m.location;
      if (!l || !(Math.abs(l.latitude) <= 90 && Math.abs(l.longitude) <= 180)) return { kind: 'unsupported', what: 'invalid-location' };
      const content: InboundContent = { kind: 'location', latitude: l.latitude, longitude: l.longitude };
      if (l.name) content.name = l.name;
      return content;
    }
    case 'image': {
      if (!m.image) return { kind: 'unsupported', what: 'image' };
      const content: InboundContent = { kind: 'photo', fileId: m.image.id };
      if (m.image.caption) content.caption = m.image.caption;
      return content;
    }
    case 'audio':
      if (!m.audio) return { kind: 'unsupported', what: 'audio' };
      return { kind: 'audio', fileId: m.audio.id, ...(m.audio.mime_type ? { mimeType: m.audio.mime_type } : {}) };
    case 'document':
      // A photo sent "as document" keeps its quality: take it as a photo.
      if (m.document?.mime_type?.startsWith('image/')) {
        const content: InboundContent = { kind: 'photo', fileId: m.document.id };
        if (m.document.caption) content.caption = m.document.caption;
        return content;
      }
      return { kind: 'unsupported', what: 'document' };
    default:
      return { kind: 'unsupported', what: m.type };
  }
}

/** A pressed button or list row: a choice of a prompt, a way out (said as the word), or its title as text. */
function fromReplyId(id: string, title: string): InboundContent {
  const way = WAYS_OUT_IDS.get(id);
  if (way) return { kind: 'text', text: way };
  const choice = decodeChoiceId(id);
  if (choice) return { kind: 'choice', promptSeq: choice.promptSeq, choiceId: choice.choiceId };
  return { kind: 'text', text: title };
}
