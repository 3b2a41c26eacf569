import { matchChoice } from '../choices.js';
import type { SingleQuestion } from '../types.js';
import { fail, numberedLines, ok, type QuestionHandler } from './types.js';

/** One choice: a button, the number shown, or the name typed (small typos forgiven). */
export const singleQuestion: QuestionHandler<SingleQuestion> = {
  render(_q, env) {
    return {
      lines: [numberedLines(env.items).join('\n'), env.te('hint.choose')],
      hint: env.te('hint.choose'),
      choices: env.items.map((i) => ({ id: i.id, label: i.label })),
      expect: 'choice',
    };
  },
  parse(_q, input, env) {
    if (input.kind === 'choice') {
      const item = env.items.find((i) => i.id === input.choiceId);
      return item ? ok(item.id) : fail(env.te('error.choice'));
    }
    if (input.kind !== 'text') return fail(env.te('error.choice'));
    const item = matchChoice(input.text, env.items);
    return item ? ok(item.id) : fail(env.te('error.choice'));
  },
  display(_q, value, env) {
    return env.items.find((i) => i.id === value)?.label ?? String(value);
  },
};
