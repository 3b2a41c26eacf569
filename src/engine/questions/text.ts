import type { TextQuestion } from '../types.js';
import { fail, ok, type QuestionHandler } from './types.js';

// The limit is said only when an answer exceeds it: one instruction per prompt.
export const textQuestion: QuestionHandler<TextQuestion> = {
  render() {
    return { lines: [], expect: 'text' };
  },
  parse(q, input, env) {
    if (input.kind !== 'text') return fail(env.te('error.text_expected'));
    const text = input.text.trim().replace(/[ \t]+/g, ' ');
    if (text === '') return fail(env.te('error.text_expected'));
    const length = [...text].length;
    if (length > q.maxLength) return fail(env.te('error.text_too_long', { length, max: q.maxLength }));
    return ok(text);
  },
  display(_q, value) {
    return String(value);
  },
};
