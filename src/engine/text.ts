/**
 * Text normalisation shared by the engine and the conversation service.
 * Villagers type on small keyboards, with or without capitals, accents or a leading '/'.
 */

/** Lowercase, strip accents, strip one leading '/', collapse spaces, trim. "/Lewati " -> "lewati". */
export function normalizeCommandWord(text: string): string {
  return stripAccents(text)
    .toLowerCase()
    .trim()
    .replace(/^\/+/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** For comparing names: lowercase, no accents, only letters and digits ("Kota Sirih" -> "kotasirih"). */
export function normalizeForMatch(text: string): string {
  return normalizeCommandWord(text).replace(/[^a-z0-9]+/g, '');
}

export function stripAccents(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

/** Typed words that skip an optional question (any language). */
export const SKIP_WORDS: readonly string[] = ['lewati', 'lewat', 'skip'];
/** Typed words that go back one question (the service may map its own command to { kind: 'back' } too). */
export const BACK_WORDS: readonly string[] = ['kembali', 'back'];

const YES_WORDS = new Set(['ya', 'y', 'iya', 'iyah', 'yes', 'ok', 'oke', 'setuju', 'benar', 'betul', 'boleh', 'ada', '1']);
const NO_WORDS = new Set(['tidak', 't', 'tdk', 'tak', 'gak', 'ga', 'nggak', 'enggak', 'engga', 'no', 'n', 'bukan', 'belum', 'tidak ada', 'tidak setuju', '2']);

/** "ya" / "Y" / "yes" -> true, "tidak" / "t" / "no" -> false, anything else -> undefined. */
export function parseYesNo(text: string): boolean | undefined {
  const w = normalizeCommandWord(text).replace(/[.!]+$/, '');
  if (YES_WORDS.has(w)) return true;
  if (NO_WORDS.has(w)) return false;
  return undefined;
}

const SKIP_REASONS = new Map<string, 'tidak-tahu' | 'tidak-ada'>([
  ...['tidak tahu', 'tidak tau', 'tdk tahu', 'tdk tau', 'gak tahu', 'gak tau', 'ga tahu', 'ga tau', 'nggak tahu', 'nggak tau', 'ndak tahu', 'ndak tau', 'belum tahu', 'kurang tahu', 'tidak tahu pasti', 'dont know', "don't know", 'unknown'].map((w) => [w, 'tidak-tahu'] as const),
  ...['tidak ada', 'tdk ada', 'gak ada', 'ga ada', 'nggak ada', 'ndak ada', 'belum ada', 'kosong', 'none', 'nothing', 'there is none'].map((w) => [w, 'tidak-ada'] as const),
]);

/** "tidak tahu" -> 'tidak-tahu', "tidak ada" -> 'tidak-ada' (why a question is skipped), else undefined. */
export function skipReasonOf(text: string): 'tidak-tahu' | 'tidak-ada' | undefined {
  return SKIP_REASONS.get(normalizeCommandWord(text).replace(/[.!]+$/, '').replace(/’/g, "'"));
}

export function isSkipWord(text: string): boolean {
  return SKIP_WORDS.includes(normalizeCommandWord(text));
}

export function isBackWord(text: string): boolean {
  return BACK_WORDS.includes(normalizeCommandWord(text));
}
