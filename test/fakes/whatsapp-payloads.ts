/**
 * WhatsApp Cloud API webhook payloads in their documented shapes, serialised and signed the way
 * Meta does it: JSON with every non-ASCII character escaped as \uXXXX (emoji as surrogate pairs)
 * and "/" as "\/", and X-Hub-Signature-256 = "sha256=" + HMAC-SHA256(app secret, those bytes).
 * Used by the local Graph API (whatsapp-graph-api.ts), the tests, and the webhook benchmark:
 *
 *   const { body, headers } = signedWhatsAppText({ appSecret, phoneNumberId, from: '6281234567890', text: 'halo 👋 a/b' });
 *   await fetch(`${url}/whatsapp/webhook`, { method: 'POST', headers, body });
 */
import { createHmac, randomBytes } from 'node:crypto';

export type Json = Record<string, unknown>;

/** Serialises like Meta: non-ASCII as \uXXXX, "/" as "\/". */
export function metaJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function sign(body: string | Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/** A wamid-like id. */
export function newWamid(): string {
  return `wamid.${randomBytes(18).toString('base64url')}`;
}

export interface Sender {
  /** Phone number (wa_id). Absent for a person known only by a business-scoped user id. */
  phone?: string;
  /** Business-scoped user id, e.g. "ID.1349120865530274". */
  bsuid?: string;
  name?: string;
}

/** The envelope around one change value. */
export function envelope(phoneNumberId: string, value: Json, displayPhoneNumber = '6281100000000'): Json {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: displayPhoneNumber, phone_number_id: phoneNumberId }, ...value } }],
      },
    ],
  };
}

/** One inbound message notification; `message` holds type and its part (text, interactive...). */
export function messagePayload(phoneNumberId: string, sender: Sender, message: Json & { type: string }, id = newWamid(), timestamp = Math.floor(Date.now() / 1000)): Json {
  const contact: Json = { profile: { name: sender.name ?? 'Warga' } };
  if (sender.phone) contact.wa_id = sender.phone;
  if (sender.bsuid) contact.user_id = sender.bsuid;
  const from: Json = sender.phone ? { from: sender.phone } : { from_user_id: sender.bsuid };
  if (sender.phone && sender.bsuid) from.from_user_id = sender.bsuid;
  return envelope(phoneNumberId, { contacts: [contact], messages: [{ ...from, id, timestamp: String(timestamp), ...message }] });
}

/** A status notification (sent, delivered, read, failed with errors). */
export function statusPayload(phoneNumberId: string, status: { id: string; status: string; recipient: string; errors?: { code: number; title: string; details?: string }[] }, timestamp = Math.floor(Date.now() / 1000)): Json {
  const s: Json = { id: status.id, status: status.status, timestamp: String(timestamp), recipient_id: status.recipient };
  if (status.status !== 'failed') s.conversation = { id: 'c0ffee', origin: { type: 'service' } };
  if (status.errors) s.errors = status.errors.map((e) => ({ code: e.code, title: e.title, message: e.title, error_data: { details: e.details ?? e.title } }));
  return envelope(phoneNumberId, { statuses: [s] });
}

/** A signed text-message webhook request, ready for fetch (the benchmark's payload). */
export function signedWhatsAppText(options: { appSecret: string; phoneNumberId: string; from: string; text: string; id?: string; name?: string }): { body: string; headers: Record<string, string>; id: string } {
  const id = options.id ?? newWamid();
  const body = metaJson(messagePayload(options.phoneNumberId, { phone: options.from, name: options.name ?? 'Warga' }, { type: 'text', text: { body: options.text } }, id));
  return { body, id, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, options.appSecret) } };
}
