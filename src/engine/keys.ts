/**
 * Every i18n key the engine itself uses (namespace "engine"), and the keys a flow uses.
 * Tests and scripts/flows-check.ts compare these lists with locales/<lang>/*.json.
 */
import type { Flow, Question } from './types.js';

export const ENGINE_NAMESPACE = 'engine';

const ENGINE_KEYS = [
  'hint.skip',
  'hint.skip_reasons',
  'hint.ways_out',
  'hint.choose',
  'hint.multi',
  'hint.yesno',
  'hint.date',
  'hint.date_ahead',
  'hint.time',
  'hint.datetime',
  'hint.datetime_time',
  'hint.location',
  'hint.photo',
  'hint.audio',
  'hint.voice_too',
  'hint.number',
  'hint.number_range',
  'hint.number_min',
  'hint.number_max',
  'hint.selected',
  'button.skip',
  'button.skip_unknown',
  'button.skip_none',
  'button.done',
  'button.yes',
  'button.no',
  'button.send',
  'button.change',
  'error.required',
  'error.text_expected',
  'error.text_too_long',
  'error.number',
  'error.number_skip',
  'error.integer',
  'error.integer_fraction',
  'error.number_min',
  'error.number_max',
  'error.choice',
  'error.choice_near',
  'error.multi_unknown',
  'error.multi_min',
  'error.multi_max',
  'error.yesno',
  'error.date',
  'error.date_invalid',
  'error.date_future',
  'error.date_past',
  'error.date_min',
  'error.date_max',
  'error.time',
  'error.datetime',
  'error.location',
  'error.photo',
  'error.audio',
  'error.voice_not_here',
  'error.voice_too_long',
  'error.voice_too_large',
  'error.no_choices',
  'error.summary',
  'stale',
  'help_after_failures',
  'help_after_failures_skip',
  'back_none',
  'done',
  'cancelled',
  'summary.title',
  'summary.question',
  'summary.skipped',
  'summary.skipped_unknown',
  'summary.skipped_none',
  'summary.secret',
  'summary.photo',
  'summary.voice',
  'summary.voice_length',
  'summary.location',
  'change.prompt',
  'format.decimal_separator',
  'format.months',
  'format.days',
] as const;

export type EngineKey = (typeof ENGINE_KEYS)[number];

/** "engine:<key>" for every engine text. */
export const ENGINE_TRANSLATION_KEYS: readonly string[] = ENGINE_KEYS.map((k) => `${ENGINE_NAMESPACE}:${k}`);

export function engineKey(key: EngineKey): string {
  return `${ENGINE_NAMESPACE}:${key}`;
}

export interface KeyUse {
  /** "ns:key" */
  key: string;
  /** The question using it, or "(flow)". */
  question: string;
  /** What the key is for, e.g. "prompt", "choice yes". */
  role: string;
}

/** Every key a flow uses, with the question that uses it (for flows:check messages). */
export function translationKeyUses(flow: Flow): KeyUse[] {
  const uses: KeyUse[] = [];
  const add = (key: string, question: string, role: string): void => {
    uses.push({ key: `${flow.namespace}:${key}`, question, role });
  };
  add(flow.title, '(flow)', 'title');
  add(flow.description, '(flow)', 'description');
  if (flow.thanks) add(flow.thanks, '(flow)', 'thanks');
  if (flow.privacy) add(flow.privacy, '(flow)', 'privacy');
  const visit = (q: Question, where: string): void => {
    // Calculations and metadata are never shown: no texts.
    if (q.type === 'calculate' || q.type === 'meta') return;
    add(q.prompt, where, 'prompt');
    if (q.type === 'note') return;
    add(q.label, where, 'label');
    if (q.type === 'group') {
      add(q.addAnother, where, 'addAnother');
      for (const child of q.questions) visit(child, `${q.id}.${child.id}`);
      return;
    }
    if (q.constraintMessage) add(q.constraintMessage, where, 'constraintMessage');
    if (q.endMessage) add(q.endMessage, where, 'endMessage');
    if (q.type === 'single' && q.unknownMessage) add(q.unknownMessage, where, 'unknownMessage');
    if (q.hint) add(q.hint, where, 'hint');
    if (q.requiredMessage) add(q.requiredMessage, where, 'requiredMessage');
    if ((q.type === 'single' || q.type === 'multi') && q.choices) {
      for (const c of q.choices) add(c.label, where, `choice ${c.id}`);
    }
  };
  for (const q of flow.questions) visit(q, q.id);
  return uses;
}

/** "ns:key" for every key the flow uses (no duplicates). */
export function usedTranslationKeys(flow: Flow): string[] {
  return [...new Set(translationKeyUses(flow).map((u) => u.key))];
}
