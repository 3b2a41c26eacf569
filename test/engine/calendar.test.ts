import { describe, expect, it } from 'vitest';
import { addCalendarDays, calendarDay, calendarDayOf, formatCalendarDay, isCalendarDay, parseCalendarDay, storedCalendarDay, weekdayOf } from '../../src/time/calendar.js';

describe('calendar days (dates with no time and no zone)', () => {
  it('knows real days from impossible ones', () => {
    expect(isCalendarDay('2028-02-29')).toBe(true);
    expect(isCalendarDay('2026-02-29')).toBe(false);
    expect(isCalendarDay('2026-04-31')).toBe(false);
    expect(isCalendarDay('2026-13-01')).toBe(false);
    expect(isCalendarDay('2026-1-01')).toBe(false);
    expect(calendarDay(2026, 2, 30)).toBeUndefined();
  });

  it('adds days across months and years, and names the weekday', () => {
    const newYearsEve = parseCalendarDay('2026-12-31')!;
    expect(formatCalendarDay(addCalendarDays(newYearsEve, 1))).toBe('2027-01-01');
    expect(formatCalendarDay(addCalendarDays(parseCalendarDay('2028-03-01')!, -1))).toBe('2028-02-29');
    expect(weekdayOf(parseCalendarDay('2026-12-08')!)).toBe(2); // a Tuesday
  });

  it('is stored as UTC midnight and read back as the same day, whatever the machine zone', () => {
    const stored = storedCalendarDay('2026-12-08');
    expect(stored.toISOString()).toBe('2026-12-08T00:00:00.000Z');
    expect(calendarDayOf(stored)).toBe('2026-12-08');
  });
});
