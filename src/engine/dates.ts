/**
 * Dates as villagers type them: 17-09-2024, 17/9/24, 17 September 2024, 17 sept 2024,
 * "hari ini", "kemarin", "3 hari lalu". Stored as ISO yyyy-mm-dd. The clock is an input.
 */
import { normalizeCommandWord } from './text.js';

export interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number;
}

/** The calendar date at `now` in `timeZone` (e.g. Asia/Jayapura). */
/** Building an Intl.DateTimeFormat costs far more than using one: one per zone, made once. */
const dayFormats = new Map<string, Intl.DateTimeFormat>();

export function localDate(now: Date, timeZone: string): LocalDate {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(now);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

export function toIso(d: LocalDate): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

export function fromIso(iso: string): LocalDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return undefined;
  return makeDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

export function addDays(d: LocalDate, days: number): LocalDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day) + days * 86_400_000);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** A real calendar date or undefined (31-02 is refused). */
function makeDate(year: number, month: number, day: number): LocalDate | undefined {
  if (!Number.isInteger(year) || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const t = new Date(Date.UTC(year, month - 1, day));
  if (t.getUTCMonth() !== month - 1 || t.getUTCDate() !== day) return undefined;
  return { year, month, day };
}

// Indonesian and English month names and the short forms seen in chat.
const MONTHS: Record<string, number> = {
  januari: 1, january: 1, jan: 1,
  februari: 2, pebruari: 2, february: 2, feb: 2, peb: 2,
  maret: 3, march: 3, mar: 3,
  april: 4, apr: 4,
  mei: 5, may: 5,
  juni: 6, june: 6, jun: 6,
  juli: 7, july: 7, jul: 7,
  agustus: 8, august: 8, agu: 8, agt: 8, ags: 8, agst: 8, aug: 8,
  september: 9, sep: 9, sept: 9, spt: 9,
  oktober: 10, october: 10, okt: 10, oct: 10,
  november: 11, nopember: 11, nov: 11, nop: 11,
  desember: 12, december: 12, des: 12, dec: 12,
};
const FULL_NAMES = Object.keys(MONTHS).filter((k) => k.length > 4);

function monthFromWord(word: string): number | undefined {
  const w = word.replace(/\.$/, '');
  if (MONTHS[w] !== undefined) return MONTHS[w];
  if (w.length < 3) return undefined;
  const hits = new Set(FULL_NAMES.filter((n) => n.startsWith(w)).map((n) => MONTHS[n]));
  return hits.size === 1 ? [...hits][0] : undefined;
}

export interface ParsedDate {
  iso: string;
  /** False when the person left out the year and it was inferred. */
  yearGiven: boolean;
}

/**
 * Parses a typed date relative to `today`. When the year is left out the current year is used,
 * or the previous one when `preferPast` and the date would otherwise lie in the future.
 */
export function parseDateInput(input: string, today: LocalDate, preferPast = false): ParsedDate | undefined {
  let s = normalizeCommandWord(input).replace(/^(tanggal|tgl\.?|tg\.?)\s*/, '').trim();
  s = s.replace(/,/g, ' ').replace(/\s+/g, ' ').trim();

  if (['hari ini', 'hariini', 'today', 'sekarang', 'tadi'].includes(s)) return { iso: toIso(today), yearGiven: true };
  if (['kemarin', 'kemaren', 'kmrn', 'yesterday'].includes(s)) return { iso: toIso(addDays(today, -1)), yearGiven: true };
  if (['kemarin dulu', 'kemaren dulu'].includes(s)) return { iso: toIso(addDays(today, -2)), yearGiven: true };
  const ago = /^(\d{1,3}) ?(hari|days?) ?(yang )?(lalu|ago)$/.exec(s);
  if (ago) return { iso: toIso(addDays(today, -Number(ago[1]))), yearGiven: true };

  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (iso) return result(makeDate(Number(iso[1]), Number(iso[2]), Number(iso[3])), true);

  const numeric = /^(\d{1,2})(?: ?[-/.] ?| )(\d{1,2})(?:(?: ?[-/.] ?| )(\d{4}|\d{2}))?$/.exec(s);
  if (numeric) return withYear(Number(numeric[1]), Number(numeric[2]), numeric[3], today, preferPast);

  const named = /^(\d{1,2}) ?[-/. ]? ?([a-z]+\.?) ?[-/. ]? ?(\d{4}|\d{2})?$/.exec(s);
  if (named) {
    const month = monthFromWord(named[2]!);
    if (month === undefined) return undefined;
    return withYear(Number(named[1]), month, named[3], today, preferPast);
  }
  return undefined;
}

function withYear(day: number, month: number, yearText: string | undefined, today: LocalDate, preferPast: boolean): ParsedDate | undefined {
  if (yearText !== undefined) {
    const year = yearText.length === 2 ? 2000 + Number(yearText) : Number(yearText);
    return result(makeDate(year, month, day), true);
  }
  let d = makeDate(today.year, month, day);
  if (d && preferPast && toIso(d) > toIso(today)) d = makeDate(today.year - 1, month, day);
  return result(d, false);
}

function result(d: LocalDate | undefined, yearGiven: boolean): ParsedDate | undefined {
  return d ? { iso: toIso(d), yearGiven } : undefined;
}

/** "2024-09-17" -> "17 September 2024" with month names from the language file. */
export function formatDate(iso: string, monthNames: string[]): string {
  const d = fromIso(iso);
  if (!d) return iso;
  return `${d.day} ${monthNames[d.month - 1] ?? d.month} ${d.year}`;
}
