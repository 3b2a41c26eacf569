import { formatLocalNumber, parseLocalNumber } from '../numbers.js';
import type { NumberQuestion } from '../types.js';
import { fail, ok, type QuestionHandler } from './types.js';

/** integer and decimal: Indonesian style input ("1.500" = 1500, "1,5" = 1.5, "sekitar 20", "dua puluh"), min/max. */
export const numberQuestion: QuestionHandler<NumberQuestion> = {
  render(q, env) {
    const sep = env.te('format.decimal_separator');
    const min = q.min === undefined ? undefined : formatLocalNumber(q.min, sep);
    const max = q.max === undefined ? undefined : formatLocalNumber(q.max, sep);
    let hint: string;
    if (min !== undefined && max !== undefined) hint = env.te('hint.number_range', { min, max });
    else if (min !== undefined) hint = env.te('hint.number_min', { min });
    else if (max !== undefined) hint = env.te('hint.number_max', { max });
    else hint = env.te('hint.number');
    return { lines: [hint], expect: 'text' };
  },
  parse(q, input, env) {
    const errorKey = q.type === 'integer' ? 'error.integer' : 'error.number';
    if (input.kind !== 'text') return fail(env.te(errorKey));
    const n = parseLocalNumber(input.text);
    if (n === undefined || !Number.isFinite(n)) return fail(env.te(errorKey));
    const sep = env.te('format.decimal_separator');
    if (q.type === 'integer' && !Number.isInteger(n)) {
      // "1,5" for a count: say why, with the nearest whole number as the example.
      return fail(env.te('error.integer_fraction', { value: formatLocalNumber(n, sep), round: formatLocalNumber(Math.max(Math.round(n), q.min ?? -Infinity), sep) }));
    }
    if (q.min !== undefined && n < q.min) return fail(env.te('error.number_min', { min: formatLocalNumber(q.min, sep) }));
    if (q.max !== undefined && n > q.max) return fail(env.te('error.number_max', { max: formatLocalNumber(q.max, sep) }));
    return ok(n);
  },
  display(_q, value, env) {
    return typeof value === 'number' ? formatLocalNumber(value, env.te('format.decimal_separator')) : String(value);
  },
};
