/**
 * Choice lists (inline or from the preloaded village/activity data) and matching what a person
 * typed against them: the number shown, the label, an alias, or a near miss ("Solan" -> Solang).
 */
import { distance } from 'fastest-levenshtein';
import { evaluateBool, type ExprScope } from './expressions.js';
import { isNumberWord, parseNumberWords } from './numbers.js';
import { normalizeCommandWord, normalizeForMatch } from './text.js';
import type { ChoiceSource, MultiQuestion, SingleQuestion, StepContext } from './types.js';

export interface ChoiceItem {
  id: string;
  /** Already translated (inline choices) or a data name (villages, activities). */
  label: string;
  /** Other names that match when typed (village spelling variants). */
  aliases?: string[];
  /** The record a filter expression sees as `item`. */
  data: Record<string, unknown>;
  /** A second line that tells items apart (a village's kecamatan). */
  description?: string;
}

/** Choice id of "another, not in the list" beside a data list (choicesFrom); its name is asked next. */
export const OTHER_ID = '__other__';

export function sourceItems(source: ChoiceSource, ctx: StepContext): ChoiceItem[] {
  switch (source) {
    case 'villages':
      return ctx.data.villages.map((v) => ({
        id: v.code,
        label: v.name,
        aliases: v.aliases,
        description: v.kecamatan,
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
  const inline = inlineItems(q, translate);
  const listed = q.choicesFrom ? sourceItems(q.choicesFrom, ctx) : inline;
  const filter = q.filter;
  const shown = filter ? listed.filter((item) => evaluateBool(filter, { ...vars, item: item.data }, scope, false)) : listed;
  // Beside a data list, inline choices follow it, never filtered ("another, not in the list").
  return q.choicesFrom ? [...shown, ...inline] : shown;
}

function inlineItems(q: SingleQuestion | MultiQuestion, translate: (key: string) => string): ChoiceItem[] {
  return (q.choices ?? []).map((c) => ({ id: c.id, label: translate(c.label), data: { ...c.data, id: c.id } }));
}

/** All items without the filter: to show an answer given earlier even if the filter changed. */
export function allQuestionItems(q: SingleQuestion | MultiQuestion, ctx: StepContext, translate: (key: string) => string): ChoiceItem[] {
  const inline = inlineItems(q, translate);
  return q.choicesFrom ? [...sourceItems(q.choicesFrom, ctx), ...inline] : inline;
}

/** Allowed edit distance grows with length: short words must match exactly. */
function tolerance(length: number): number {
  if (length <= 3) return 0;
  if (length <= 6) return 1;
  return 2;
}

/**
 * Finds the item a person meant. Order: the number shown (1-based, in digits or words: "2",
 * "dua"), an exact normalised name or alias or id, a unique prefix of at least 3 letters, a whole
 * word of one label ("parah" in "Berat / parah"), a unique part of a name of at least 4, then the
 * single closest name within a small edit distance. Returns undefined when nothing or more than
 * one item fits.
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

  // "dua" is the second choice, unless labels are number words themselves ("Satu", "Dua"...).
  const spoken = parseNumberWords(trimmed);
  if (
    spoken !== undefined && spoken >= 1 && spoken <= items.length &&
    normalizeCommandWord(trimmed).split(' ').every(isNumberWord) &&
    !items.some((item) => parseNumberWords(item.label) !== undefined)
  ) {
    return items[spoken - 1];
  }

  if (key.length >= 3) {
    const prefix = items.filter((item) => names(item).some((n) => n.startsWith(key)));
    if (prefix.length === 1) return prefix[0];
    // The start of several longer names ("Miran K"): ask again rather than guess.
    if (prefix.length > 1) return undefined;
    const word = items.filter((item) => labelWords(item).includes(key));
    if (word.length === 1) return word[0];
    if (word.length > 1) return undefined;
    // Every word typed in one label, small words aside ("ke pengumpul", "sedang jalan" for "Sedang berjalan").
    const words = items.filter((item) => allWordsIn(text, item));
    if (words.length === 1) return words[0];
    if (words.length > 1) return undefined;
  }
  if (key.length >= 4) {
    // Part of one long name ("pengolahan pala" for "Pelatihan pengolahan pala").
    const inside = items.filter((item) => names(item).some((n) => n.includes(key)));
    if (inside.length === 1) return inside[0];
    if (inside.length > 1) return undefined;
  }

  const allowed = tolerance(key.length);
  if (allowed === 0) return undefined;
  const close = closestItems(key, items);
  return close.distance <= allowed && close.items.length === 1 ? close.items[0] : undefined;
}

/** The words of an item's label and aliases, normalised ("Berat / parah (rumah rusak)" -> berat, parah, rumah, rusak). */
function labelWords(item: ChoiceItem): string[] {
  return [item.label, ...(item.aliases ?? [])].flatMap((n) => normalizeCommandWord(n).split(/[^a-z0-9]+/)).filter((w) => w !== '');
}

/** Small words people add around a choice ("ke pasar", "yang berat"). */
const FILLER_WORDS = new Set(['ke', 'di', 'dari', 'yang', 'sama', 'untuk', 'to', 'the', 'at']);

/** A typed word is in a label as itself, as its start ("peng" in "pengumpul"), or as its end after a prefix ("jalan" in "berjalan"). */
function wordIn(typed: string, label: string): boolean {
  return label === typed || (typed.length >= 3 && label.startsWith(typed)) || (typed.length >= 4 && label.endsWith(typed));
}

function allWordsIn(text: string, item: ChoiceItem): boolean {
  const typed = normalizeCommandWord(text).split(/[^a-z0-9]+/).filter((w) => w !== '' && !FILLER_WORDS.has(w));
  if (typed.length === 0) return false;
  const label = labelWords(item);
  return typed.every((w) => label.some((l) => wordIn(w, l)));
}

function closestItems(key: string, items: ChoiceItem[]): { items: ChoiceItem[]; distance: number } {
  let best: ChoiceItem[] = [];
  let bestDistance = Infinity;
  for (const item of items) {
    const d = Math.min(...[item.label, ...(item.aliases ?? [])].map((n) => distance(normalizeForMatch(n), key)));
    if (d < bestDistance) {
      bestDistance = d;
      best = [item];
    } else if (d === bestDistance) {
      best.push(item);
    }
  }
  return { items: best, distance: bestDistance };
}

/**
 * The few names nearest to what was typed, nearest first, for "did you mean...?" when nothing
 * matched. Only names within about half their length of edits, at most `limit`.
 */
export function suggestChoices(text: string, items: ChoiceItem[], limit = 3): ChoiceItem[] {
  const key = normalizeForMatch(text);
  if (key.length < 3) return [];
  return items
    .map((item) => {
      const names = [item.label, ...(item.aliases ?? [])].map(normalizeForMatch).filter((n) => n !== '');
      // Typed words may be a part of a longer name ("Kilmuri" vs "Kilmury Timur"): compare with the start too.
      const d = Math.min(...names.map((n) => Math.min(distance(n, key), distance(n.slice(0, key.length), key) + 1)));
      return { item, d };
    })
    .filter(({ d }) => d <= Math.ceil(key.length / 2))
    .sort((a, b) => a.d - b.d)
    .slice(0, limit)
    .map(({ item }) => item);
}

/** Words that join choices in a typed list: "1, 2 dan 5", "pala & cengkeh", "satu serta tiga". */
const LIST_SEPARATOR = /\s*(?:[,;\n+&/]|\bdan\b|\band\b|\bserta\b)\s*/i;

/**
 * "1,3" / "1 2 dan 5" / "1, 2 & 5" / "satu dan tiga" / "pala, cengkeh" -> items, or the parts
 * that did not match. A choice named twice counts once.
 */
export function matchChoices(text: string, items: ChoiceItem[]): { items: ChoiceItem[]; unknown: string[] } {
  const trimmed = text.trim();
  const parts = /^[\d\s,;.&+-]+$/.test(trimmed)
    ? trimmed.split(/[^\d]+/)
    : trimmed.split(LIST_SEPARATOR).flatMap((part) => {
        // "1 2", "dua tiga": numbers side by side are separate choices.
        const words = part.trim().split(/\s+/);
        const singleNumbers = words.length > 1 && words.every((w) => /^\d{1,3}$/.test(w) || (isNumberWord(normalizeCommandWord(w)) && parseNumberWords(w) !== undefined));
        return singleNumbers ? words : [part];
      });
  const found: ChoiceItem[] = [];
  const unknown: string[] = [];
  for (const part of parts.map((p) => p.trim()).filter((p) => p !== '')) {
    const item = matchChoice(part, items);
    if (!item) unknown.push(part);
    else if (!found.includes(item)) found.push(item);
  }
  return { items: found, unknown };
}
