/**
 * What a submit carries: the relevant answers (ids, ISO dates, numbers), what the person saw
 * for each (labels in their language at the time, so reviews and exports read without joins and
 * old flow versions stay readable), and why optional questions were skipped.
 */
import { isAnswerQuestion } from './hidden.js';
import type { AnswerQuestion, Effect, Flow, RunState, SkipReason } from './types.js';

type Submit = Extract<Effect, { type: 'submit' }>;

/**
 * Answers of the run's path only (answers set aside in `parked` never leave the run). A secret
 * (keepAs) is submitted under its keepAs key, e.g. roleCodeId, never under its question id.
 */
export function submitted(
  flow: Flow,
  state: RunState,
  display: (q: AnswerQuestion, value: unknown) => string,
): Pick<Submit, 'answers' | 'display' | 'skipped'> {
  const answers = JSON.parse(JSON.stringify(state.answers)) as Record<string, unknown>;
  const shown: Submit['display'] = {};
  for (const q of flow.questions) {
    if (!(q.id in answers)) continue;
    const value = answers[q.id];
    if (q.type === 'group') {
      const list = Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
      shown[q.id] = list.map((obj) => {
        const row: Record<string, string> = {};
        for (const c of q.questions) if (isAnswerQuestion(c) && c.id in obj) row[c.id] = display(c, obj[c.id]);
        return row;
      });
      continue;
    }
    if (!isAnswerQuestion(q)) {
      // Calculations and metadata: their value as text.
      if (value !== null && value !== undefined) shown[q.id] = String(value);
      continue;
    }
    shown[q.id] = display(q, value);
    if (q.type === 'text' && q.keepAs) {
      answers[q.keepAs] = value;
      shown[q.keepAs] = shown[q.id]!;
      delete answers[q.id];
      delete shown[q.id];
    }
  }
  const skipped: Record<string, SkipReason> = {};
  for (const [id, reason] of Object.entries(state.skipped ?? {})) {
    if (id in answers && answers[id] === null) skipped[id] = reason;
  }
  return { answers, display: shown, ...(Object.keys(skipped).length > 0 ? { skipped } : {}) };
}
