/**
 * Local time in a zone without a date library: wall-clock parts of an instant, the instant of
 * a wall-clock time, quiet hours, and dates as people read them ("Senin, 16 November 2026,
 * 09.00 WIT"). Every schedule is in the configured zone (WIT, Asia/Jayapura, by default).
 */

import { storedCalendarDay } from './calendar.js';

export interface LocalParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday. */
  weekday: number;
}

/** Building an Intl.DateTimeFormat costs far more than using one: each locale and options made once. */
const formats = new Map<string, Intl.DateTimeFormat>();
export function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    formats.set(key, f);
  }
  return f;
}

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  return dateFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short',
  });
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function localParts(at: Date, timeZone: string): LocalParts {
  const parts = Object.fromEntries(partsFormatter(timeZone).formatToParts(at).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    hour: Number(parts.hour) % 24, minute: Number(parts.minute), second: Number(parts.second), weekday: WEEKDAYS.indexOf(parts.weekday ?? ''),
  };
}

/** The instant at which the zone's clock shows this date and time (day may overflow: 32 = next month's 1st). */
export function zonedTime(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): Date {
  const wanted = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wanted;
  for (let i = 0; i < 3; i++) {
    const p = localParts(new Date(guess), timeZone);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    if (shown === wanted) break;
    guess += wanted - shown;
  }
  return new Date(guess);
}

/** The local calendar day of an instant, as yyyy-mm-dd. */
export function localDay(at: Date, timeZone: string): string {
  const p = localParts(at, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** `days` local days after (negative: before) the local day of `at`, at hh:mm local. */
export function atLocalTime(at: Date, days: number, time: ClockTime, timeZone: string): Date {
  const p = localParts(at, timeZone);
  return zonedTime(p.year, p.month, p.day + days, time.hour, time.minute, timeZone);
}

export interface ClockTime {
  hour: number;
  minute: number;
}

/** "16:00", "7.30", "07:00" -> { hour, minute }; null when it is not a time of day. */
export function parseClockTime(text: string): ClockTime | null {
  const m = /^\s*([01]?\d|2[0-3])(?:[:.]([0-5]\d))?\s*$/.exec(text);
  return m ? { hour: Number(m[1]), minute: Number(m[2] ?? 0) } : null;
}

/** No proactive message from `start` to `end` local time (may wrap midnight: 21:00-06:00). */
export interface QuietHours {
  start: ClockTime;
  end: ClockTime;
}

export function parseQuietHours(text: string): QuietHours | null {
  const [a, b, ...rest] = text.split('-');
  if (a === undefined || b === undefined || rest.length) return null;
  const start = parseClockTime(a);
  const end = parseClockTime(b);
  return start && end ? { start, end } : null;
}

const minutesOf = (t: ClockTime) => t.hour * 60 + t.minute;

export function isQuiet(at: Date, quiet: QuietHours | null, timeZone: string): boolean {
  if (!quiet) return false;
  const p = localParts(at, timeZone);
  const m = p.hour * 60 + p.minute;
  const s = minutesOf(quiet.start);
  const e = minutesOf(quiet.end);
  if (s === e) return false;
  return s < e ? m >= s && m < e : m >= s || m < e;
}

/** `at` itself when proactive messages are allowed then, else the end of the quiet hours. */
export function nextAllowed(at: Date, quiet: QuietHours | null, timeZone: string): Date {
  if (!quiet || !isQuiet(at, quiet, timeZone)) return at;
  const p = localParts(at, timeZone);
  const m = p.hour * 60 + p.minute;
  // Before the end today (after midnight), else the end tomorrow.
  const days = m < minutesOf(quiet.end) ? 0 : 1;
  return atLocalTime(at, days, quiet.end, timeZone);
}

const zoneLabels: Record<string, string> = { 'Asia/Jayapura': 'WIT', 'Asia/Makassar': 'WITA', 'Asia/Jakarta': 'WIB', 'Asia/Pontianak': 'WIB' };

function zoneLabel(timeZone: string, at: Date): string {
  const known = zoneLabels[timeZone];
  if (known) return known;
  const part = dateFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(at).find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}

const locales: Record<string, string> = { id: 'id-ID', en: 'en-GB' };

/** "Senin, 16 November 2026" */
export function formatDay(at: Date, language: string, timeZone: string): string {
  return dateFormat(locales[language] ?? 'id-ID', { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(at);
}

/** "09.00 WIT" (Indonesian) / "09:00 WIT" (English). */
export function formatClock(at: Date, language: string, timeZone: string): string {
  const p = localParts(at, timeZone);
  const sep = language === 'en' ? ':' : '.';
  return `${String(p.hour).padStart(2, '0')}${sep}${String(p.minute).padStart(2, '0')} ${zoneLabel(timeZone, at)}`;
}

/** "Senin, 16 November 2026, 09.00 WIT" */
export function formatDateTime(at: Date, language: string, timeZone: string): string {
  return `${formatDay(at, language, timeZone)}, ${formatClock(at, language, timeZone)}`;
}

/** A span: same day "Senin, 16 November 2026, 09.00-16.00 WIT", else both ends in full. */
export function formatSpan(from: Date, to: Date, language: string, timeZone: string): string {
  if (localDay(from, timeZone) === localDay(to, timeZone)) {
    const end = formatClock(to, language, timeZone);
    return `${formatDay(from, language, timeZone)}, ${formatClock(from, language, timeZone).replace(/ \S+$/, '')}-${end}`;
  }
  return `${formatDateTime(from, language, timeZone)} - ${formatDateTime(to, language, timeZone)}`;
}

/** "8 Desember 2026" in the zone (the consent date in `datasaya`). */
export function formatLongDate(at: Date, timeZone: string): string {
  return dateFormat('id-ID', { timeZone, day: 'numeric', month: 'long', year: 'numeric' }).format(at);
}

/** The programme's zone when TIMEZONE is not set (WIT). */
export const DEFAULT_TIME_ZONE = 'Asia/Jayapura';

/** "WIT" for Asia/Jayapura, else the zone's short name ("GMT+9"). */
export function zoneName(timeZone: string, at: Date = new Date()): string {
  return zoneLabel(timeZone, at);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** "2026-12-08 06:13 WIT": an instant as local wall-clock text with the zone, for exports. */
export function formatLocalStamp(at: Date, timeZone: string): string {
  const p = localParts(at, timeZone);
  return `${localDay(at, timeZone)} ${pad2(p.hour)}:${pad2(p.minute)} ${zoneLabel(timeZone, at)}`;
}

/** "+09:00": the zone's offset from UTC at that instant. */
export function zoneOffset(at: Date, timeZone: string): string {
  const p = localParts(at, timeZone);
  const minutes = Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  return `${sign}${pad2(Math.floor(Math.abs(minutes) / 60))}:${pad2(Math.abs(minutes) % 60)}`;
}

/** "2026-12-08T06:13:00+09:00": ISO 8601 with the zone's offset, for machines. */
export function formatLocalIso(at: Date, timeZone: string): string {
  const p = localParts(at, timeZone);
  return `${localDay(at, timeZone)}T${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}${zoneOffset(at, timeZone)}`;
}

/**
 * The local wall-clock time as a Date whose UTC fields read it (06:13 WIT -> 06:13Z): what a
 * spreadsheet date cell holds, since spreadsheets have no zones.
 */
export function wallClockDate(at: Date, timeZone: string): Date {
  const p = localParts(at, timeZone);
  return new Date(Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second));
}

/** The instant a local day (yyyy-mm-dd) starts in the zone. */
export function localDayStart(day: string, timeZone: string): Date {
  const [y, m, d] = day.split('-').map(Number);
  return zonedTime(y!, m!, d!, 0, 0, timeZone);
}

/** A form's datetime-local value ("2026-12-08T06:13") read as wall-clock time in the zone; null when it is not one. */
export function parseLocalDateTime(text: string, timeZone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2})?$/.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  return zonedTime(y, mo, d, h, mi, timeZone);
}

/**
 * "8 Des 2026" (with time "8 Des 2026, 06.13"): an instant in the zone; a date-only value
 * (yyyy-mm-dd, a calendar day) as that same day whatever the zone.
 */
export function formatShortDate(value: Date | string, language: string, timeZone: string, withTime = false): string {
  const dayOnly = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);
  const zone = dayOnly ? 'UTC' : timeZone;
  const format = dateFormat(locales[language] ?? 'id-ID', {
    timeZone: zone, day: 'numeric', month: 'short', year: 'numeric', ...(withTime && !dayOnly ? { hour: '2-digit', minute: '2-digit' } : {}),
  });
  return format.format(dayOnly ? storedCalendarDay(value) : new Date(value));
}
