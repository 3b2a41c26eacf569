import { addCalendarDays, formatCalendarDay } from '../../time/calendar.js';
import { formatDateNumeric, localDateTime, readDate, zonedInstant } from '../dates.js';
import { normalizeCommandWord } from '../text.js';
import type { DateTimeQuestion } from '../types.js';
import { show } from './date.js';
import { readTime } from './time.js';
import { fail, ok, type QuestionEnv, type QuestionHandler } from './types.js';

/** Where the time sits in "besok jam 9", "17-09-2024 13.30", "senin pagi pukul 8", "tomorrow at 9". */
const TIME_PARTS = [
  /\b(?:jam|pukul|pkl|at)\.?\s*\d{1,2}(?:\s*[.:]\s*\d{2})?/,
  /(?:^|\s)\d{1,2}[.:]\d{2}\s*$/,
  /(?:^|\s)\d{1,2}(?=\s+(?:pagi|siang|sore|malam|morning|afternoon|evening|night)\b)/,
];
const PART_OF_DAY = /\b(?:pagi|siang|sore|malam|morning|afternoon|evening|night|wit)\b/g;
/** Small words around the two parts: "besok pada jam 9", "tomorrow in the evening at 7". */
const JOINING = /\b(?:in the|in|the|on|pada|di)\b/g;

type Reading = { date?: string; time?: string; invalid?: boolean };

/** A typed date and time, or one of them; `invalid` when the date does not exist (31-02). */
export function readDateTime(text: string, env: Pick<QuestionEnv, 'today'>): Reading {
  const s = normalizeCommandWord(text).replace(/,/g, ' ').replace(/\s+/g, ' ').trim();
  for (const pattern of TIME_PARTS) {
    const m = pattern.exec(s);
    if (!m) continue;
    // The part of the day ("besok pagi jam 9") belongs to the time wherever it was said.
    const words = s.match(PART_OF_DAY) ?? [];
    const time = readTime(`${m[0]} ${words.join(' ')}`);
    const rest = (s.slice(0, m.index) + ' ' + s.slice(m.index + m[0].length)).replace(PART_OF_DAY, ' ').replace(JOINING, ' ').replace(/\s+/g, ' ').trim();
    if (!time) continue;
    if (rest === '') return { time };
    const date = readDate(rest, env.today);
    if (date.kind === 'ok') return { date: date.iso, time };
    if (date.kind === 'invalid') return { invalid: true };
  }
  const date = readDate(s, env.today);
  if (date.kind === 'ok') return { date: date.iso };
  if (date.kind === 'invalid') return { invalid: true };
  const time = readTime(s);
  return time ? { time } : {};
}

/**
 * A date and a time of day in one answer ("besok jam 9") or in two: a date alone keeps the
 * question open and asks the time of that day. Stored as an ISO instant in UTC, like now() and
 * the start/end metadata, so the three compare; shown in the member's time zone.
 */
export const dateTimeQuestion: QuestionHandler<DateTimeQuestion> = {
  render(_q, env) {
    const date = env.selected[0];
    if (date) return { lines: [env.te('hint.datetime_time', { date: show(date, env) })], expect: 'text' };
    return { lines: [env.te('hint.datetime', examples(env))], expect: 'text' };
  },
  parse(_q, input, env) {
    if (input.kind !== 'text') return fail(env.te('error.datetime', examples(env)));
    const r = readDateTime(input.text, env);
    if (r.invalid) return fail(env.te('error.date_invalid', examples(env)));
    // A time alone is on the day already given, else today.
    const date = r.date ?? (r.time ? (env.selected[0] ?? formatCalendarDay(env.today)) : undefined);
    if (date && r.time) return ok(zonedInstant(date, r.time, env.ctx.timeZone).toISOString());
    if (date) return { kind: 'toggle', selected: [date] };
    return fail(env.te(env.selected[0] ? 'error.time' : 'error.datetime', examples(env)));
  },
  display(_q, value, env) {
    const at = new Date(String(value));
    if (Number.isNaN(at.getTime())) return String(value);
    const p = localDateTime(at, env.ctx.timeZone);
    return `${show(formatCalendarDay(p), env)} ${String(p.hour).padStart(2, '0')}.${String(p.minute).padStart(2, '0')}`;
  },
};

function examples(env: QuestionEnv): { example: string; example_long: string } {
  const d = addCalendarDays(env.today, 1);
  return { example: formatDateNumeric(d), example_long: show(formatCalendarDay(d), env) };
}
