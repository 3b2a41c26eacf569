/** Where a run got to, for the drop-out funnel: pure, from the run state alone. */
import type { RunState } from './types.js';

/** The questions the run reached, first reach order: the answered ones and the one it is at. */
export function reachedQuestions(state: Pick<RunState, 'history' | 'position'>): string[] {
  const ids: string[] = [];
  for (const p of [...(state.history ?? []), ...(state.position ? [state.position] : [])]) {
    if (p.at === 'question' && !ids.includes(p.id)) ids.push(p.id);
  }
  return ids;
}

/** The question an unfinished run stopped at, or null (at the summary, or nowhere). */
export function stoppedAt(state: Pick<RunState, 'position'>): string | null {
  return state.position?.at === 'question' ? state.position.id : null;
}
