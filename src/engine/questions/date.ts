import { addCalendarDays, formatCalendarDay } from '../../time/calendar.js';
import { formatDate, formatDateNumeric, readDate } from '../dates.js';
import type { DateQuestion } from '../types.js';
import { fail, ok, type QuestionEnv, type QuestionHandler } from './types.js';

/** A calendar date typed the Indonesian way; stored as ISO yyyy-mm-dd. */
export const dateQuestion: QuestionHandler<DateQuestion> = {
  render(q, env) {
    return { lines: [env.te(q.notPast ? 'hint.date_ahead' : 'hint.date', examples(env, q))], expect: 'text' };
  },
  parse(q, input, env) {
    if (input.kind !== 'text') return fail(env.te('error.date', examples(env, q)));
    const parsed = readDate(input.text, env.today, q.notFuture);
    if (parsed.kind === 'invalid') return fail(env.te('error.date_invalid', examples(env, q)));
    if (parsed.kind === 'unknown') return fail(env.te('error.date', examples(env, q)));
    const iso = parsed.iso;
    if (q.notFuture && iso > formatCalendarDay(env.today)) return fail(env.te('error.date_future'));
    if (q.notPast && iso < formatCalendarDay(env.today)) return fail(env.te('error.date_past'));
    if (q.min !== undefined && iso < q.min) return fail(env.te('error.date_min', { date: show(q.min, env) }));
    if (q.max !== undefined && iso > q.max) return fail(env.te('error.date_max', { date: show(q.max, env) }));
    return ok(iso);
  },
  display(_q, value, env) {
    return show(String(value), env);
  },
};

/** Examples are real dates a few days from today (before it, or after it for a date to come), typed two ways. */
function examples(env: QuestionEnv, q: DateQuestion): { example: string; example_long: string } {
  const d = addCalendarDays(env.today, q.notPast ? 10 : -3);
  return { example: formatDateNumeric(d), example_long: show(formatCalendarDay(d), env) };
}

export function show(iso: string, env: QuestionEnv): string {
  return formatDate(iso, env.te('format.months').split(','));
}
