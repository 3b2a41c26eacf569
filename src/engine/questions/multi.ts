import { matchChoices } from '../choices.js';
import { normalizeCommandWord } from '../text.js';
import type { MultiQuestion } from '../types.js';
import { fail, numberedLines, ok, type ParseResult, type QuestionEnv, type QuestionHandler } from './types.js';

/** Button id of "done" on a multi question. */
export const DONE_ID = '__done';
const DONE_WORDS = ['selesai', 'sudah', 'done', 'ok', 'oke', 'cukup'];

/**
 * Several choices. Buttons toggle one at a time and "Selesai" finishes; a typed answer
 * ("1,3", "pala, cengkeh") is the whole answer at once, which suits a basic phone.
 */
export const multiQuestion: QuestionHandler<MultiQuestion> = {
  render(_q, env) {
    const chosen = env.items.filter((i) => env.selected.includes(i.id)).map((i) => i.label);
    const lines = [numberedLines(env.items, env.selected).join('\n'), env.te('hint.multi')];
    if (chosen.length > 0) lines.push(env.te('hint.selected', { list: chosen.join(', ') }));
    return {
      lines,
      hint: lines.slice(1).join('\n'),
      choices: [...env.items.map((i) => ({ id: i.id, label: i.label })), { id: DONE_ID, label: env.te('button.done') }],
      multiple: { selected: [...env.selected] },
      expect: 'choice',
    };
  },
  parse(q, input, env) {
    if (input.kind === 'choice') {
      if (input.choiceId === DONE_ID) return finish(q, env.selected, env);
      if (!env.items.some((i) => i.id === input.choiceId)) return fail(env.te('error.choice'));
      const selected = env.selected.includes(input.choiceId)
        ? env.selected.filter((id) => id !== input.choiceId)
        : [...env.selected, input.choiceId];
      return { kind: 'toggle', selected };
    }
    if (input.kind !== 'text') return fail(env.te('error.choice'));
    if (DONE_WORDS.includes(normalizeCommandWord(input.text))) return finish(q, env.selected, env);
    const { items, unknown } = matchChoices(input.text, env.items);
    if (unknown.length > 0) return fail(env.te('error.multi_unknown', { text: unknown.join(', ') }));
    return finish(q, items.map((i) => i.id), env);
  },
  display(_q, value, env) {
    if (!Array.isArray(value)) return String(value);
    return value.map((id) => env.items.find((i) => i.id === id)?.label ?? String(id)).join(', ');
  },
};

function finish(q: MultiQuestion, selected: string[], env: QuestionEnv): ParseResult {
  // Keep the order the choices are shown in, whatever order they were picked.
  const ordered = env.items.map((i) => i.id).filter((id) => selected.includes(id));
  // "Done" with nothing picked on an optional question is a skip.
  if (ordered.length === 0 && !env.required) return ok(null);
  if (ordered.length < q.minSelected) return fail(env.te('error.multi_min', { min: q.minSelected }));
  if (q.maxSelected !== undefined && ordered.length > q.maxSelected) return fail(env.te('error.multi_max', { max: q.maxSelected }));
  return ok(ordered);
}
