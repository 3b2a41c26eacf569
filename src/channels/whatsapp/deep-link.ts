/**
 * WhatsApp click-to-chat links for posters: `https://wa.me/<number>?text=DAFTAR%20<village payload>`
 * opens a chat with the text typed in; sent, it arrives as "DAFTAR 81_05_15_2004" and starts
 * registration with the village chosen (src/conversation/commands.ts).
 */
import { START_PAYLOAD_PATTERN } from '../../messages/village-payload.js';

/** The word a poster link types before the village payload. */
export const REGISTER_WORD = 'DAFTAR';

/** `https://wa.me/<digits>?text=DAFTAR%20<payload>`; the number in international form without + or spaces. */
export function whatsappDeepLink(phoneNumber: string, payload: string): string {
  const digits = phoneNumber.replace(/[\s+()-]/g, '');
  if (!/^\d{8,15}$/.test(digits)) throw new Error(`"${phoneNumber}" is not a phone number in international form (e.g. 6281234567890)`);
  if (!START_PAYLOAD_PATTERN.test(payload)) throw new Error(`"${payload}" is not a valid village payload`);
  return `https://wa.me/${digits}?text=${encodeURIComponent(`${REGISTER_WORD} ${payload}`)}`;
}
