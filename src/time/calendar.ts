/**
 * Calendar days: a date with no time of day and no zone ("2026-12-08"), such as a plan's target
 * date, the day a villager says something happened, or a spreadsheet date cell. In MongoDB one is
 * stored as UTC midnight of that day, so it reads as the same day wherever it is shown; it is
 * never run through a zone (an instant is: see `localDay` for "which day was it in WIT").
 */

export interface CalendarDay {
  year: number;
  month: number; // 1-12
  day: number;
}

const DAY_MS = 86_400_000;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A real calendar day, or undefined (31 February is not one). */
export function calendarDay(year: number, month: number, day: number): CalendarDay | undefined {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const t = new Date(Date.UTC(year, month - 1, day));
  if (t.getUTCFullYear() !== year || t.getUTCMonth() !== month - 1 || t.getUTCDate() !== day) return undefined;
  return { year, month, day };
}

/** "2026-12-08" -> the day; undefined when the text is not a real day in that form. */
export function parseCalendarDay(iso: string): CalendarDay | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? calendarDay(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
}

export function isCalendarDay(iso: string): boolean {
  return parseCalendarDay(iso) !== undefined;
}

/** The day as "yyyy-mm-dd". */
export function formatCalendarDay(d: CalendarDay): string {
  return `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}

/** `days` days later (negative: earlier). */
export function addCalendarDays(d: CalendarDay, days: number): CalendarDay {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day) + days * DAY_MS);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** 0 = Sunday. */
export function weekdayOf(d: CalendarDay): number {
  return new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
}

/** How a calendar day is stored: UTC midnight of that day. */
export function storedCalendarDay(iso: string): Date {
  return new Date(`${iso}T00:00:00Z`);
}

/** The calendar day a stored date-only value (or a spreadsheet date cell) holds, as "yyyy-mm-dd". */
export function calendarDayOf(stored: Date): string {
  return formatCalendarDay({ year: stored.getUTCFullYear(), month: stored.getUTCMonth() + 1, day: stored.getUTCDate() });
}
