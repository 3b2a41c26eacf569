/** WhatsApp notifications in their documented shapes, mapped to what the pipeline knows. */
import { describe, expect, it } from 'vitest';
import { mapWebhook } from '../../src/channels/whatsapp/inbound.js';
import { encodeChoiceId } from '../../src/channels/whatsapp/render.js';
import { envelope, messagePayload, statusPayload } from '../fakes/whatsapp-payloads.js';

const PHONE_ID = '106540352242922';
const from = { phone: '6281234567890', name: 'Ibu Ani' };
const one = (message: Record<string, unknown> & { type: string }, sender: Parameters<typeof messagePayload>[1] = from) => mapWebhook(messagePayload(PHONE_ID, sender, message, 'wamid.X', 1_760_000_000), PHONE_ID);

describe('mapping WhatsApp notifications', () => {
  it('text, with the profile name as a suggestion and the wamid as the dedupe key', () => {
    const { messages } = one({ type: 'text', text: { body: 'Halo 👋 rumah/dapur' } });
    expect(messages).toEqual([{ channel: 'whatsapp', platformUserId: '6281234567890', messageId: 'wamid.X', receivedAt: new Date(1_760_000_000_000), profileName: 'Ibu Ani', content: { kind: 'text', text: 'Halo 👋 rumah/dapur' } }]);
  });

  it('button and list replies carry the prompt number; the ways out arrive as their words', () => {
    const id = encodeChoiceId(12, 'sedang');
    expect(one({ type: 'interactive', interactive: { type: 'button_reply', button_reply: { id, title: 'Sedang' } } }).messages[0]!.content).toEqual({ kind: 'choice', promptSeq: 12, choiceId: 'sedang' });
    expect(one({ type: 'interactive', interactive: { type: 'list_reply', list_reply: { id, title: 'Sedang', description: 'x' } } }).messages[0]!.content).toEqual({ kind: 'choice', promptSeq: 12, choiceId: 'sedang' });
    expect(one({ type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'w:back', title: 'Kembali' } } }).messages[0]!.content).toEqual({ kind: 'text', text: 'kembali' });
  });

  it('a template quick reply: its payload when it is ours, else its text', () => {
    expect(one({ type: 'button', button: { text: 'Ya, hadir', payload: encodeChoiceId(3, 'yes') } }).messages[0]!.content).toEqual({ kind: 'choice', promptSeq: 3, choiceId: 'yes' });
    expect(one({ type: 'button', button: { text: 'MENU', payload: 'menu-payload' } }).messages[0]!.content).toEqual({ kind: 'text', text: 'MENU' });
  });

  it('location, image, an image sent as a document, a voice note; a location off the globe and other types are unsupported', () => {
    expect(one({ type: 'location', location: { latitude: -3.5, longitude: 130.6, name: 'Dermaga' } }).messages[0]!.content).toEqual({ kind: 'location', latitude: -3.5, longitude: 130.6, name: 'Dermaga' });
    expect(one({ type: 'location', location: { latitude: 95, longitude: 130.6 } }).messages[0]!.content).toEqual({ kind: 'unsupported', what: 'invalid-location' });
    expect(one({ type: 'image', image: { id: '1234', mime_type: 'image/jpeg', sha256: 'x', caption: 'talud' } }).messages[0]!.content).toEqual({ kind: 'photo', fileId: '1234', caption: 'talud' });
    expect(one({ type: 'document', document: { id: '99', mime_type: 'image/png' } }).messages[0]!.content).toEqual({ kind: 'photo', fileId: '99' });
    expect(one({ type: 'audio', audio: { id: '5', mime_type: 'audio/ogg; codecs=opus', voice: true } }).messages[0]!.content).toEqual({ kind: 'audio', fileId: '5', mimeType: 'audio/ogg; codecs=opus' });
    expect(one({ type: 'sticker', sticker: { id: '6', mime_type: 'image/webp' } }).messages[0]!.content).toEqual({ kind: 'unsupported', what: 'sticker' });
    expect(one({ type: 'unsupported', errors: [{ code: 131051, title: 'Message type unknown' }] }).messages[0]!.content).toEqual({ kind: 'unsupported', what: 'unsupported' });
  });

  it('reactions and system notices are not answered', () => {
    const r = one({ type: 'reaction', reaction: { message_id: 'wamid.Y', emoji: '👍' } });
    expect(r.messages).toHaveLength(0);
    expect(r.ignored).toEqual(['type reaction']);
  });

  it('a person known only by a business-scoped id', () => {
    const { messages } = one({ type: 'text', text: { body: 'halo' } }, { bsuid: 'ID.1349120865530274', name: 'Mama Ina' });
    expect(messages[0]).toMatchObject({ platformUserId: 'ID.1349120865530274', profileName: 'Mama Ina' });
  });

  it('statuses with their errors; another number, other fields and an empty entry give nothing', () => {
    const s = mapWebhook(statusPayload(PHONE_ID, { id: 'wamid.Z', status: 'failed', recipient: '628', errors: [{ code: 131047, title: 'Re-engagement message', details: 'more than 24 hours' }] }, 1_760_000_000), PHONE_ID);
    expect(s.statuses).toEqual([{ messageId: 'wamid.Z', status: 'failed', at: new Date(1_760_000_000_000), recipient: '628', errors: [{ code: 131047, title: 'more than 24 hours' }] }]);
    expect(s.messages).toHaveLength(0);
    expect(mapWebhook(messagePayload('999', from, { type: 'text', text: { body: 'x' } }), PHONE_ID)).toMatchObject({ messages: [], ignored: ['another phone number'] });
    const other = envelope(PHONE_ID, {});
    (other.entry as { changes: { field: string }[] }[])[0]!.changes[0]!.field = 'message_template_status_update';
    expect(mapWebhook(other, PHONE_ID)).toMatchObject({ messages: [], statuses: [], ignored: ['field message_template_status_update'] });
    expect(mapWebhook({ object: 'whatsapp_business_account', entry: [] }, PHONE_ID)).toEqual({ messages: [], statuses: [], ignored: [] });
    expect(() => mapWebhook({ object: 'page', entry: [] }, PHONE_ID)).toThrow();
  });
});
