/**
 * The village code carried by poster links (Telegram `?start=`, and later WhatsApp links):
 * the Kemendagri code with dots replaced by underscores (`81.05.15.2004` -> `81_05_15_2004`),
 * because link payloads allow only `A-Za-z0-9_-` (1-64 characters). Channel-neutral and at the
 * bottom with the message types: the channels build and check links, the conversation reads them.
 */

/** What a start payload may hold (Telegram's rule, the strictest of the platforms). */
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
