/** Finding questions in a flow and walking forward through skip logic and repeat groups. */
import type { Flow, GroupQuestion, LeafQuestion, Position, Question } from './types.js';

export interface Located {
  q: LeafQuestion | GroupQuestion;
  /** Index among the flow's top-level questions (of the question or of its group). */
  top: number;
  /** Set for a child of a repeat group. */
  group?: GroupQuestion;
  child?: number;
}

const indexCache = new WeakMap<Flow, Map<string, Located>>();

/** Question by id (ids are unique across the flow, group children included). */
export function locate(flow: Flow, id: string): Located | undefined {
  let index = indexCache.get(flow);
  if (!index) {
    index = new Map();
    flow.questions.forEach((q: Question, top) => {
      index!.set(q.id, { q, top });
      if (q.type === 'group') q.questions.forEach((c, child) => index!.set(c.id, { q: c, top, group: q, child }));
    });
    indexCache.set(flow, index);
  }
  return index.get(id);
}

/** Where to look next, structurally (relevance is decided while walking). */
export type Cursor =
  | { kind: 'top'; index: number }
  | { kind: 'child'; group: GroupQuestion; top: number; item: number; child: number };

/** The cursor just after an answered position. */
export function cursorAfter(flow: Flow, pos: Position): Cursor {
  if (pos.at === 'question') {
    const loc = locate(flow, pos.id)!;
    if (loc.group && pos.group) return { kind: 'child', group: loc.group, top: loc.top, item: pos.group.index, child: loc.child! + 1 };
    return { kind: 'top', index: loc.top + 1 };
  }
  if (pos.at === 'more') {
    const loc = locate(flow, pos.group)!;
    return { kind: 'top', index: loc.top + 1 };
  }
  return { kind: 'top', index: flow.questions.length };
}
