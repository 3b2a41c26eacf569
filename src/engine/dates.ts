/**
 * Dates as villagers type them: 17-09-2024, 17/9/24, 17 September 2024, 17 sept 2024,
 * "hari ini", "kemarin", "3 hari lalu", "senin kemarin", "minggu lalu", "tgl 5", "besok" (so a
 * date that cannot be in the future is refused for that reason). Stored as ISO yyyy-mm-dd.
 * The clock is an input.
 */
import { localParts, zonedTime, type LocalParts } from '../time/index.js';
import { addCalendarDays, calendarDay, formatCalendarDay, parseCalendarDay, weekdayOf, type CalendarDay } from '../time/calendar.js';
import { normalizeCommandWord } from './text.js';

/** A calendar day seen from the programme's zone ("today in WIT"). */
export type LocalDate = CalendarDay;


/** The calendar date at `now` in `timeZone` (e.g. Asia/Jayapura). */
export function localDate(now: Date, timeZone: string): LocalDate {
  const p = localParts(now, timeZone);
  return { year: p.year, month: p.month, day: p.day };
}

/** The local calendar day, time of day and weekday (0 = Sunday) of `at` in `timeZone`. */
export function localDateTime(at: Date, timeZone: string): LocalParts & { ms: number } {
  return { ...localParts(at, timeZone), ms: at.getUTCMilliseconds() };
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
  return weekdayOf(d) || 7;
}

/** Same as parseDateInput, but says whether a date-like text named a day that does not exist. */
export function readDate(input: string, today: LocalDate, preferPast = false): DateReading {
  const raw = normalizeCommandWord(input).replace(/['`’]/g, '');
  const hadDayWord = /^(tanggal|tgl\.?|tg\.?)\s*/.test(raw);
  let s = raw.replace(/^(tanggal|tgl\.?|tg\.?)\s*/, '').trim();
  s = s.replace(/,/g, ' ').replace(/\s+/g, ' ').trim();
  const days = (n: number): DateReading => ({ kind: 'ok', iso: formatCalendarDay(addCalendarDays(today, n)), yearGiven: true });

  if (['hari ini', 'hariini', 'today', 'sekarang', 'tadi', 'td', 'tadi pagi', 'tadi siang', 'tadi sore', 'tadi malam', 'pagi ini', 'pagi tadi', 'siang tadi', 'sore tadi', 'malam ini'].includes(s)) return days(0);
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
    let d = calendarDay(today.year, today.month, day);
    if (preferPast && d && formatCalendarDay(d) > formatCalendarDay(today)) {
      const prev = today.month === 1 ? { year: today.year - 1, month: 12 } : { year: today.year, month: today.month - 1 };
      d = calendarDay(prev.year, prev.month, day);
    }
    return reading(d, true);
  }

  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (iso) return reading(calendarDay(Number(iso[1]), Number(iso[2]), Number(iso[3])), true);

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
    return reading(calendarDay(year, month, day), true);
  }
  let d = calendarDay(today.year, month, day);
  if (d && preferPast && formatCalendarDay(d) > formatCalendarDay(today)) d = calendarDay(today.year - 1, month, day);
  return reading(d, false);
}

function reading(d: LocalDate | undefined, yearGiven: boolean): DateReading {
  return d ? { kind: 'ok', iso: formatCalendarDay(d), yearGiven } : { kind: 'invalid' };
}

/** "17-09-2024": how dates are typed, for examples in hints. */
export function formatDateNumeric(d: LocalDate): string {
  return `${String(d.day).padStart(2, '0')}-${String(d.month).padStart(2, '0')}-${d.year}`;
}

/** "2024-09-17" -> "17 September 2024" with month names from the language file. */
export function formatDate(iso: string, monthNames: string[]): string {
  const d = parseCalendarDay(iso);
  if (!d) return iso;
  return `${d.day} ${monthNames[d.month - 1] ?? d.month} ${d.year}`;
}

/** The instant (UTC) at which it is `time` ("HH:MM") on the calendar day `iso` in `timeZone`. */
export function zonedInstant(iso: string, time: string, timeZone: string): Date {
  const [y, mo, d] = iso.split('-').map(Number) as [number, number, number];
  const [h, mi] = time.split(':').map(Number) as [number, number];
  return zonedTime(y, mo, d, h, mi, timeZone);
}
