/**
 * Telegram deep links for villages: `https://t.me/<bot>?start=<payload>` arrives as the message
 * `/start <payload>`. The payload is the village code (BPS kode, e.g. `81.05.15.2004`) with the
 * dots replaced by underscores, because a start payload allows only `A-Za-z0-9_-` (1-64 chars).
 */

/** What Telegram allows as a start payload. */
export const START_PAYLOAD_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** `81.05.15.2004` -> `81_05_15_2004`. Throws when the result would not be a valid payload. */
export function encodeVillagePayload(villageCode: string): string {
  const payload = villageCode.trim().replace(/\./g, '_');
  if (!START_PAYLOAD_PATTERN.test(payload)) {
    throw new Error(`Village code "${villageCode}" cannot be a Telegram start payload (only A-Za-z0-9_- and dots, at most 64 characters)`);
  }
  return payload;
}

/**
 * `81_05_15_2004` -> `81.05.15.2004`. Returns null for anything that is not a village-code-shaped
 * payload (digits in groups separated by underscores), so other payloads can be told apart.
 */
export function decodeVillagePayload(payload: string): string | null {
  const p = payload.trim();
  if (!START_PAYLOAD_PATTERN.test(p) || !/^\d+(?:_\d+)*$/.test(p)) return null;
  return p.replace(/_/g, '.');
}

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
