/**
 * Questions that are never asked (XLSForm `calculate` and metadata such as `start`, `today`,
 * `deviceid`), repeat groups with a fixed count, and `default` answers: the engine calls these
 * while walking a flow so engine.ts stays about conversation.
 */
import { evaluate, withScope, type ExprScope, type ExprVars } from './expressions.js';
import type { AnswerQuestion, GroupQuestion, HiddenQuestion, LeafQuestion, Question, StepContext } from './types.js';

/** Most items a repeat_count may ask for, whatever the count says. */
export const MAX_REPEAT_COUNT = 50;

export function isHidden(q: Question): q is HiddenQuestion {
  return q.type === 'calculate' || q.type === 'meta';
}

/** Answer questions only (not notes, groups, calculations, metadata). */
export function isAnswerQuestion(q: Question | LeafQuestion): q is AnswerQuestion {
  return q.type !== 'note' && q.type !== 'group' && !isHidden(q);
}

/**
 * Sets a hidden question's value in `target` (the answers, or a repeat item). Calculations are
 * computed again each time the walk passes them; `start` and `today` keep their first value;
 * `end` is the time the walk last passed it (and the submit time, see fillEnd).
 */
export function fillHidden(q: HiddenQuestion, target: Record<string, unknown>, vars: ExprVars, scope: ExprScope, ctx: StepContext, todayIso: string): void {
  if (q.type === 'calculate') {
    // once() keeps what the calculation holds.
    const v = evaluate(q.calculation, vars, questionScope(scope, q.id, vars, { current: target[q.id] }), null);
    target[q.id] = typeof v === 'number' && !Number.isFinite(v) ? null : (v ?? null);
    return;
  }
  switch (q.meta) {
    case 'start':
      target[q.id] ??= ctx.now.toISOString();
      return;
    case 'today':
      target[q.id] ??= todayIso;
      return;
    case 'end':
      target[q.id] = ctx.now.toISOString();
      return;
    default:
      target[q.id] = ctx.meta?.[q.meta] ?? null;
  }
}

/** The scope of one question's expression: uuid() gives this run, question and repeat item the same ids. */
export function questionScope(scope: ExprScope, id: string, vars: ExprVars, more: Partial<ExprScope> = {}): ExprScope {
  return withScope(scope, { ...more, ...(scope.seed !== undefined ? { seed: `${scope.seed}:${id}:${vars.position ?? 0}` } : {}) });
}

/** At submit: every top-level `end` question gets the submit time. */
export function fillEnd(questions: Question[], answers: Record<string, unknown>, now: Date): void {
  for (const q of questions) if (q.type === 'meta' && q.meta === 'end') answers[q.id] = now.toISOString();
}

/** How many items a repeat group with a `repeatCount` has now (0..MAX_REPEAT_COUNT). */
export function repeatCountOf(group: GroupQuestion, vars: ExprVars, scope: ExprScope): number | undefined {
  if (!group.repeatCount) return undefined;
  const n = Math.trunc(Number(evaluate(group.repeatCount, vars, scope, 0)));
  return Number.isFinite(n) ? Math.max(0, Math.min(n, MAX_REPEAT_COUNT)) : 0;
}

/** The stored form of a question's `default`, or of `d` (a number for numbers, a list for multi). */
export function defaultAnswer(q: AnswerQuestion, d: unknown = q.default): unknown {
  if (d === undefined || d === null || d === '') return undefined;
  switch (q.type) {
    case 'integer':
    case 'decimal':
      return typeof d === 'number' ? d : Number(d);
    case 'multi':
      return Array.isArray(d) ? d.map(String) : String(d).split(/\s+/).filter((s) => s !== '');
    case 'yesno':
      return typeof d === 'boolean' ? d : ['yes', 'ya', 'true', '1'].includes(String(d).toLowerCase());
    default:
      return typeof d === 'string' ? d : String(d);
  }
}
