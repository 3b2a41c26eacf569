/**
 * Choice lists (inline or from the preloaded village/activity data) and matching what a person
 * typed against them: the number shown, the label, an alias, or a near miss ("Solan" -> Solang).
 */
import { distance } from 'fastest-levenshtein';
import { evaluateBool, type ExprScope } from './expressions.js';
import { normalizeForMatch } from './text.js';
import type { ChoiceSource, MultiQuestion, SingleQuestion, StepContext } from './types.js';

export interface ChoiceItem {
  id: string;
  /** Already translated (inline choices) or a data name (villages, activities). */
  label: string;
  /** Other names that match when typed (village spelling variants). */
  aliases?: string[];
  /** The record a filter expression sees as `item`. */
  data: Record<string, unknown>;
}

export function sourceItems(source: ChoiceSource, ctx: StepContext): ChoiceItem[] {
  switch (source) {
    case 'villages':
      return ctx.data.villages.map((v) => ({
        id: v.code,
        label: v.name,
        aliases: v.aliases,
        data: { id: v.code, code: v.code, name: v.name, kecamatan: v.kecamatan, aliases: v.aliases },
      }));
    case 'kecamatan': {
      // Distinct kecamatan in data order; the id is the name, which villages refer to.
      const names = [...new Set(ctx.data.villages.map((v) => v.kecamatan))];
      return names.map((name) => ({ id: name, label: name, data: { id: name, name } }));
    }
    case 'activities':
      return ctx.data.activities.map((a) => ({ id: a.id, label: a.title, data: { id: a.id, title: a.title } }));
  }
}

/** The choices to offer now (filter applied). */
export function questionItems(
  q: SingleQuestion | MultiQuestion,
  ctx: StepContext,
  translate: (key: string) => string,
  vars: { answers: Record<string, unknown>; group?: Record<string, unknown> },
  scope: ExprScope,
): ChoiceItem[] {
  if (q.choices) return q.choices.map((c) => ({ id: c.id, label: translate(c.label), data: { id: c.id } }));
  const all = sourceItems(q.choicesFrom!, ctx);
  if (!q.filter) return all;
  const filter = q.filter;
  return all.filter((item) => evaluateBool(filter, { ...vars, item: item.data }, scope, false));
}

/** All items without the filter: to show an answer given earlier even if the filter changed. */
export function allQuestionItems(q: SingleQuestion | MultiQuestion, ctx: StepContext, translate: (key: string) => string): ChoiceItem[] {
  if (q.choices) return q.choices.map((c) => ({ id: c.id, label: translate(c.label), data: { id: c.id } }));
  return sourceItems(q.choicesFrom!, ctx);
}

/** Allowed edit distance grows with length: short words must match exactly. */
function tolerance(length: number): number {
  if (length <= 3) return 0;
  if (length <= 6) return 1;
  return 2;
}

/**
 * Finds the item a person meant. Order: the number shown (1-based), an exact normalised name
 * or alias or id, a unique prefix of at least 3 letters, a unique part of a name of at least 4,
 * then the single closest name within a small edit distance. Returns undefined when nothing or
 * more than one item fits.
 */
export function matchChoice(text: string, items: ChoiceItem[]): ChoiceItem | undefined {
  const trimmed = text.trim().replace(/[.)]$/, '');
  if (/^\d{1,3}$/.test(trimmed)) {
    const n = Number(trimmed);
    // A number is the position shown unless an item is literally named so (handled below).
    if (n >= 1 && n <= items.length) return items[n - 1];
  }
  const key = normalizeForMatch(text);
  if (key === '') return undefined;
  const names = (item: ChoiceItem): string[] =>
    [item.label, item.id, ...(item.aliases ?? [])].map(normalizeForMatch).filter((n) => n !== '');

  const exact = items.filter((item) => names(item).includes(key));
  if (exact.length === 1) return exact[0];
  if (exact.length > 1) return undefined;

  if (key.length >= 3) {
    const prefix = items.filter((item) => names(item).some((n) => n.startsWith(key)));
    if (prefix.length === 1) return prefix[0];
    // The start of several longer names ("Miran K"): ask again rather than guess.
    if (prefix.length > 1) return undefined;
  }
  if (key.length >= 4) {
    // Part of one long name ("pengolahan pala" for "Pelatihan pengolahan pala").
    const inside = items.filter((item) => names(item).some((n) => n.includes(key)));
    if (inside.length === 1) return inside[0];
    if (inside.length > 1) return undefined;
  }

  const allowed = tolerance(key.length);
  if (allowed === 0) return undefined;
  let best: ChoiceItem[] = [];
  let bestDistance = Infinity;
  for (const item of items) {
    const d = Math.min(...names(item).map((n) => distance(n, key)));
    if (d < bestDistance) {
      bestDistance = d;
      best = [item];
    } else if (d === bestDistance) {
      best.push(item);
    }
  }
  return bestDistance <= allowed && best.length === 1 ? best[0] : undefined;
}

/** "1,3" / "1 3" / "pala, cengkeh" / "pala dan cengkeh" -> items, or the parts that did not match. */
export function matchChoices(text: string, items: ChoiceItem[]): { items: ChoiceItem[]; unknown: string[] } {
  const trimmed = text.trim();
  const parts = /^[\d\s,;.&+-]+$/.test(trimmed)
    ? trimmed.split(/[^\d]+/)
    : trimmed.split(/\s*(?:[,;\n+&]|\bdan\b|\band\b)\s*/i);
  const found: ChoiceItem[] = [];
  const unknown: string[] = [];
  for (const part of parts.map((p) => p.trim()).filter((p) => p !== '')) {
    const item = matchChoice(part, items);
    if (!item) unknown.push(part);
    else if (!found.includes(item)) found.push(item);
  }
  return { items: found, unknown };
}
