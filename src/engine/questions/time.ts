import type { TimeQuestion } from '../types.js';
import { fail, ok, type QuestionHandler } from './types.js';

/** Words around a time that say nothing about it: "jam 9", "pukul 13.30 WIT". */
const FILLER = /\b(jam|pukul|pkl|wit|at|o'?clock)\b\.?/g;
/** A part of the day moves an afternoon hour typed on the 12-hour clock: "2 siang" is 14:00. */
const PART_OF_DAY: [RegExp, (h: number) => number][] = [
  [/\b(pagi|morning)\b/, (h) => (h === 12 ? 0 : h)],
  [/\b(siang|afternoon)\b/, (h) => (h >= 1 && h <= 5 ? h + 12 : h)],
  [/\b(sore|evening)\b/, (h) => (h < 12 ? h + 12 : h)],
  [/\b(malam|night)\b/, (h) => (h >= 6 && h < 12 ? h + 12 : h)],
];

/** "9", "09.00", "13:30", "jam 2 siang", "pukul 7 pagi" -> "HH:MM" (24-hour), or null. */
export function readTime(text: string): string | null {
  let s = text.toLowerCase().replace(FILLER, ' ');
  let shift = (h: number) => h;
  for (const [pattern, fn] of PART_OF_DAY) {
    if (pattern.test(s)) {
      shift = fn;
      s = s.replace(pattern, ' ');
    }
  }
  const m = /^\s*(\d{1,2})(?:\s*[.:]\s*(\d{2}))?\s*$/.exec(s);
  if (!m) return null;
  const hour = shift(Number(m[1]));
  const minute = Number(m[2] ?? 0);
  if (hour > 23 || minute > 59) return null;
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

/** A time of day, stored as "HH:MM" and shown the Indonesian way ("13.30"). */
export const timeQuestion: QuestionHandler<TimeQuestion> = {
  render(_q, env) {
    return { lines: [env.te('hint.time')], expect: 'text' };
  },
  parse(_q, input, env) {
    const value = input.kind === 'text' ? readTime(input.text) : null;
    return value ? ok(value) : fail(env.te('error.time'));
  },
  display(_q, value) {
    return String(value).replace(':', '.');
  },
};
