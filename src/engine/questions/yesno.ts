import { parseYesNo } from '../text.js';
import type { YesNoQuestion } from '../types.js';
import { fail, ok, type QuestionEnv, type QuestionHandler, type Rendered } from './types.js';

export const YES_ID = 'yes';
export const NO_ID = 'no';

/** The yes/no buttons and hint, shared with "add another?". */
export function yesNoRender(env: Pick<QuestionEnv, 'te'>): Rendered {
  return {
    lines: [env.te('hint.yesno')],
    choices: [
      { id: YES_ID, label: env.te('button.yes') },
      { id: NO_ID, label: env.te('button.no') },
    ],
    expect: 'choice',
  };
}

/** true / false from a button or typed ya/tidak, y/t, yes/no; undefined when unclear. */
export function yesNoValue(input: { kind: string; choiceId?: string; text?: string }): boolean | undefined {
  if (input.kind === 'choice') return input.choiceId === YES_ID ? true : input.choiceId === NO_ID ? false : undefined;
  if (input.kind === 'text' && input.text !== undefined) return parseYesNo(input.text);
  return undefined;
}

export const yesNoQuestion: QuestionHandler<YesNoQuestion> = {
  render(_q, env) {
    return yesNoRender(env);
  },
  parse(_q, input, env) {
    const v = yesNoValue(input);
    return v === undefined ? fail(env.te('error.yesno')) : ok(v);
  },
  display(_q, value, env) {
    return env.te(value ? 'button.yes' : 'button.no');
  },
};
