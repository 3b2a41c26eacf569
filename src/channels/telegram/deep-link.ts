/**
 * Telegram deep links for villages: `https://t.me/<bot>?start=<payload>` arrives as the message
 * `/start <payload>`. The payload is the village code (Kemendagri kode, e.g. `81.05.15.2004`) with the
 * dots replaced by underscores, because a start payload allows only `A-Za-z0-9_-` (1-64 chars).
 */

import { START_PAYLOAD_PATTERN } from '../../messages/village-payload.js';

export { START_PAYLOAD_PATTERN, encodeVillagePayload, decodeVillagePayload } from '../../messages/village-payload.js';

/**
 * Splits `/start`, `/start <payload>` or `/start@BotName <payload>` into its payload.
 * Returns null when the text is not a /start command; `{ payload: undefined }` for a bare /start.
 */
export function parseStartCommand(text: string): { payload: string | undefined } | null {
  const m = /^\/start(?:@[A-Za-z0-9_]+)?(?:\s+(\S+))?\s*$/.exec(text.trim());
  if (!m) return null;
  return { payload: m[1] };
}

/** `https://t.me/<bot>?start=<payload>` (the bot username without the @). */
export function telegramDeepLink(botUsername: string, payload: string): string {
  const bot = botUsername.replace(/^@/, '');
  if (!/^[A-Za-z0-9_]{3,64}$/.test(bot)) throw new Error(`"${botUsername}" is not a Telegram bot username`);
  if (!START_PAYLOAD_PATTERN.test(payload)) throw new Error(`"${payload}" is not a valid start payload`);
  return `https://t.me/${bot}?start=${payload}`;
}
