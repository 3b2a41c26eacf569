/**
 * Dates as villagers type them: 17-09-2024, 17/9/24, 17 September 2024, 17 sept 2024,
 * "hari ini", "kemarin", "3 hari lalu", "senin kemarin", "minggu lalu", "tgl 5", "besok" (so a
 * date that cannot be in the future is refused for that reason). Stored as ISO yyyy-mm-dd.
 * The clock is an input.
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

/** The local calendar day, time of day and weekday (0 = Sunday) of `at` in `timeZone`. */
const timeFormats = new Map<string, Intl.DateTimeFormat>();
export function localDateTime(at: Date, timeZone: string): LocalDate & { hour: number; minute: number; second: number; ms: number; weekday: number } {
  let format = timeFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    timeFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(at);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const year = get('year');
  const month = get('month');
  const day = get('day');
  return { year, month, day, hour: get('hour'), minute: get('minute'), second: get('second'), ms: at.getUTCMilliseconds(), weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay() };
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

// Indonesian and English month names and the short forms seen in chat (a Map: typed words are looked up).
const MONTHS = new Map(Object.entries({
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
}));
const FULL_NAMES = [...MONTHS.keys()].filter((k) => k.length > 4);

function monthFromWord(word: string): number | undefined {
  const w = word.replace(/\.$/, '');
  const month = MONTHS.get(w);
  if (month !== undefined) return month;
  if (w.length < 3) return undefined;
  const hits = new Set(FULL_NAMES.filter((n) => n.startsWith(w)).map((n) => MONTHS.get(n)));
  return hits.size === 1 ? [...hits][0] : undefined;
}

export interface ParsedDate {
  iso: string;
  /** False when the person left out the year and it was inferred. */
  yearGiven: boolean;
}

/** A typed date: understood, a date that does not exist (31-02), or not understood at all. */
export type DateReading = ({ kind: 'ok' } & ParsedDate) | { kind: 'invalid' } | { kind: 'unknown' };

/**
 * Parses a typed date relative to `today`. When the year is left out the current year is used,
 * or the previous one when `preferPast` and the date would otherwise lie in the future.
 */
export function parseDateInput(input: string, today: LocalDate, preferPast = false): ParsedDate | undefined {
  const r = readDate(input, today, preferPast);
  return r.kind === 'ok' ? { iso: r.iso, yearGiven: r.yearGiven } : undefined;
}

// Monday = 1 ... Sunday = 7 (ISO), Indonesian and English (a Map: typed words are looked up).
const WEEKDAYS = new Map(Object.entries({
  senin: 1, selasa: 2, rabu: 3, kamis: 4, jumat: 5, sabtu: 6, minggu: 7, ahad: 7,
  monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6, sunday: 7,
}));
const PAST_WORDS = '(?:yang )?(?:lalu|kemarin|kemaren|kmrn|kemarin ini|last|ago)';

function weekday(d: LocalDate): number {
  const w = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
  return w === 0 ? 7 : w;
}

/** Same as parseDateInput, but says whether a date-like text named a day that does not exist. */
export function readDate(input: string, today: LocalDate, preferPast = false): DateReading {
  const raw = normalizeCommandWord(input).replace(/['`’]/g, '');
  const hadDayWord = /^(tanggal|tgl\.?|tg\.?)\s*/.test(raw);
  let s = raw.replace(/^(tanggal|tgl\.?|tg\.?)\s*/, '').trim();
  s = s.replace(/,/g, ' ').replace(/\s+/g, ' ').trim();
  const days = (n: number): DateReading => ({ kind: 'ok', iso: toIso(addDays(today, n)), yearGiven: true });

  if (['hari ini', 'hariini', 'today', 'sekarang', 'tadi', 'td'].includes(s)) return days(0);
  if (['kemarin', 'kemaren', 'kmrn', 'kmarin', 'yesterday'].includes(s)) return days(-1);
  if (['kemarin dulu', 'kemaren dulu', 'kemarin lusa'].includes(s)) return days(-2);
  if (['besok', 'besuk', 'bsk', 'tomorrow'].includes(s)) return days(1);
  if (['lusa', 'besok lusa'].includes(s)) return days(2);
  const ago = /^(\d{1,3}|se) ?(hari|days?|minggu|pekan|weeks?) ?(yang )?(lalu|ago)$/.exec(s);
  if (ago) {
    const n = ago[1] === 'se' ? 1 : Number(ago[1]);
    return days(-n * (/^(hari|day)/.test(ago[2]!) ? 1 : 7));
  }
  // "minggu lalu" / "minggu kemarin" is last week; "hari minggu lalu" is last Sunday.
  if (new RegExp(`^(minggu|pekan|week) ${PAST_WORDS}$`).test(s) || s === 'last week') return days(-7);
  const named = new RegExp(`^(?:hari |last )?([a-z]+)(?: (${PAST_WORDS}))?$`).exec(s);
  const day = named ? WEEKDAYS.get(named[1]!) : undefined;
  if (named && day !== undefined) {
    // The latest such day: before today when "lalu/kemarin" is said, else today counts too.
    let back = (weekday(today) - day + 7) % 7;
    if (back === 0 && (named[2] !== undefined || s.startsWith('last '))) back = 7;
    return days(-back);
  }

  if (hadDayWord && /^\d{1,2}$/.test(s)) {
    // "tgl 5": this month, or last month when the date cannot be in the future.
    const day = Number(s);
    let d = makeDate(today.year, today.month, day);
    if (preferPast && d && toIso(d) > toIso(today)) {
      const prev = today.month === 1 ? { year: today.year - 1, month: 12 } : { year: today.year, month: today.month - 1 };
      d = makeDate(prev.year, prev.month, day);
    }
    return reading(d, true);
  }

  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (iso) return reading(makeDate(Number(iso[1]), Number(iso[2]), Number(iso[3])), true);

  const numeric = /^(\d{1,2})(?: ?[-/.] ?| )(\d{1,2})(?:(?: ?[-/.] ?| )(\d{4}|\d{2}))?$/.exec(s);
  if (numeric) return withYear(Number(numeric[1]), Number(numeric[2]), numeric[3], today, preferPast);

  const withMonth = /^(\d{1,2}) ?[-/. ]? ?([a-z]+\.?) ?[-/. ]? ?(\d{4}|\d{2})?$/.exec(s);
  if (withMonth) {
    const month = monthFromWord(withMonth[2]!);
    if (month === undefined) return { kind: 'unknown' };
    return withYear(Number(withMonth[1]), month, withMonth[3], today, preferPast);
  }
  return { kind: 'unknown' };
}

function withYear(day: number, month: number, yearText: string | undefined, today: LocalDate, preferPast: boolean): DateReading {
  // A month above 12 is not a date at all ("17-13-2024" is a typo, not a missing day).
  if (month < 1 || month > 12) return { kind: 'unknown' };
  if (yearText !== undefined) {
    const year = yearText.length === 2 ? 2000 + Number(yearText) : Number(yearText);
    return reading(makeDate(year, month, day), true);
  }
  let d = makeDate(today.year, month, day);
  if (d && preferPast && toIso(d) > toIso(today)) d = makeDate(today.year - 1, month, day);
  return reading(d, false);
}

function reading(d: LocalDate | undefined, yearGiven: boolean): DateReading {
  return d ? { kind: 'ok', iso: toIso(d), yearGiven } : { kind: 'invalid' };
}

/** "17-09-2024": how dates are typed, for examples in hints. */
export function formatDateNumeric(d: LocalDate): string {
  return `${String(d.day).padStart(2, '0')}-${String(d.month).padStart(2, '0')}-${d.year}`;
}

/** "2024-09-17" -> "17 September 2024" with month names from the language file. */
export function formatDate(iso: string, monthNames: string[]): string {
  const d = fromIso(iso);
  if (!d) return iso;
  return `${d.day} ${monthNames[d.month - 1] ?? d.month} ${d.year}`;
}

/** The instant (UTC) at which it is `time` ("HH:MM") on the calendar day `iso` in `timeZone`. */
export function zonedInstant(iso: string, time: string, timeZone: string): Date {
  const [y, mo, d] = iso.split('-').map(Number) as [number, number, number];
  const [h, mi] = time.split(':').map(Number) as [number, number];
  const wanted = Date.UTC(y, mo - 1, d, h, mi);
  // The zone's offset at about that moment, applied twice for days the offset changes.
  let at = wanted;
  for (let i = 0; i < 2; i++) {
    const p = localDateTime(new Date(at), timeZone);
    at += wanted - Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  }
  return new Date(at);
}
