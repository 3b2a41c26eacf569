import { formatLocalNumber, parseLocalNumber } from '../numbers.js';
import { normalizeCommandWord } from '../text.js';
import type { NumberQuestion } from '../types.js';
import { fail, ok, type QuestionHandler } from './types.js';

/** "setengah" at a 0-100 question (a percentage) is 50. */
const SHARE_WORDS: Record<string, number> = { setengah: 50, separuh: 50, seperempat: 25, 'tiga perempat': 75, half: 50 };

function shareWord(q: NumberQuestion, text: string): number | undefined {
  if (q.min !== 0 || q.max !== 100) return undefined;
  return SHARE_WORDS[normalizeCommandWord(text).replace(/\s+/g, ' ').trim()];
}

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
    // Not a number at all ("banyak"): how to write one, and the way out when there is one.
    const notANumber = () => fail([env.te(q.type === 'integer' ? 'error.integer' : 'error.number'), ...(env.required ? [] : [env.te('error.number_skip')])].join(' '));
    if (input.kind !== 'text') return notANumber();
    const n = shareWord(q, input.text) ?? parseLocalNumber(input.text);
    if (n === undefined || !Number.isFinite(n)) return notANumber();
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
