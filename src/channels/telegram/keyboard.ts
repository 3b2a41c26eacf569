/**
 * Inline keyboards for choice questions, and the callback_data scheme.
 *
 * callback_data (at most 64 bytes of UTF-8, enforced by Telegram):
 *   c:<promptSeq>:<choiceId>   the choice id itself, whenever the whole string fits in 64 bytes.
 *                              Stateless: survives restarts and works on any webhook instance.
 *   i:<promptSeq>:<index>      fallback for ids too long to fit: the choice's index in the prompt;
 *                              the adapter maps it back to the id through the PromptStore entry
 *                              saved for that message (chat id + message id).
 *   p:<promptSeq>:<page>       show another page of a long list (edits the keyboard in place,
 *                              the conversation service is not called). Needs the PromptStore.
 *   x                          a label-only button (the "2/4" page indicator): answered, ignored.
 * When a store entry is missing (restart with the in-memory store, evicted entry), `i:` and `p:`
 * presses are answered with the "expired" notice and the stale keyboard is removed; `c:` presses
 * keep working. A shared store (e.g. MongoDB) makes `i:`/`p:` survive restarts too.
 */
import type { InlineKeyboardButton } from 'grammy/types';
import type { ChoiceOption } from '../../messages/index.js';

export const CALLBACK_DATA_MAX_BYTES = 64;
/** Choices shown per page before ◀ ▶ paging starts. */
export const DEFAULT_PAGE_SIZE = 8;
/** Labels at most this long go two to a row; longer ones get a row each. */
export const SHORT_LABEL_MAX = 16;
/** Longer labels are shortened with an ellipsis (phones truncate anyway). */
export const BUTTON_LABEL_MAX = 64;

export type CallbackAction =
  | { type: 'choice'; promptSeq: number; choiceId: string }
  | { type: 'choiceIndex'; promptSeq: number; index: number }
  | { type: 'page'; promptSeq: number; page: number }
  | { type: 'noop' };

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Callback data for choice number `index` (0-based) with id `choiceId`: the id when it fits, else the index. */
export function encodeChoiceData(promptSeq: number, choiceId: string, index: number): string {
  const direct = `c:${promptSeq}:${choiceId}`;
  if (choiceId.length > 0 && bytes(direct) <= CALLBACK_DATA_MAX_BYTES) return direct;
  return `i:${promptSeq}:${index}`;
}

export function encodePageData(promptSeq: number, page: number): string {
  return `p:${promptSeq}:${page}`;
}

export const NOOP_DATA = 'x';

/** Parses callback data of the scheme above; null for anything else (old or foreign buttons). */
export function decodeCallbackData(data: string): CallbackAction | null {
  if (data === NOOP_DATA) return { type: 'noop' };
  const m = /^([cip]):(-?\d{1,15}):([\s\S]+)$/.exec(data);
  if (!m) return null;
  const [, kind, seqText, rest] = m as unknown as [string, string, string, string];
  const promptSeq = Number(seqText);
  if (kind === 'c') return { type: 'choice', promptSeq, choiceId: rest };
  if (!/^\d{1,6}$/.test(rest)) return null;
  const n = Number(rest);
  return kind === 'i' ? { type: 'choiceIndex', promptSeq, index: n } : { type: 'page', promptSeq, page: n };
}

/** What the adapter remembers about a rendered choice message (keyed by chat id + message id). */
export interface StoredPrompt {
  promptSeq: number;
  choices: ChoiceOption[];
  /** Present for multiple choice: the ids selected when rendered. */
  selected?: string[];
  /** The page currently shown. */
  page: number;
}

export interface KeyboardLabels {
  /** The finish button of a multiple-choice question. */
  done: string;
  previous: string;
  next: string;
  /** Prefix of a selected option in a multiple-choice question. */
  selectedPrefix: string;
}

export interface KeyboardOptions {
  pageSize?: number;
  labels: KeyboardLabels;
  /** The choice id the done button sends for multiple choice. */
  doneChoiceId: string;
}

export function pageCount(choiceCount: number, pageSize = DEFAULT_PAGE_SIZE): number {
  return Math.max(1, Math.ceil(choiceCount / pageSize));
}

function shorten(label: string): string {
  const clean = label.replace(/\s+/g, ' ').trim() || '…';
  const chars = [...clean];
  return chars.length > BUTTON_LABEL_MAX ? chars.slice(0, BUTTON_LABEL_MAX - 1).join('') + '…' : clean;
}

/**
 * The keyboard for one page of a prompt. Lists of more than `pageSize` choices get a
 * navigation row (◀ n/m ▶); multiple choice gets a done button (unless the prompt itself
 * offers a choice with the done id).
 */
/**
 * Whether the prompt's buttons need it stored (src/channels/telegram/prompt-store.ts): only when
 * it has pages (◀ ▶ redraw another page) or a choice whose id does not fit the callback data
 * (`i:` buttons are resolved through the store). Buttons that carry their own choice id work
 * without it, so most prompts (yes/no, short lists) cost no write.
 */
export function needsStoredPrompt(prompt: StoredPrompt, options: KeyboardOptions): boolean {
  const listed = prompt.choices.filter((c) => !(prompt.selected !== undefined && c.id === options.doneChoiceId));
  if (pageCount(listed.length, options.pageSize ?? DEFAULT_PAGE_SIZE) > 1) return true;
  return prompt.choices.some((c, i) => encodeChoiceData(prompt.promptSeq, c.id, i).startsWith('i:'));
}

export function buildChoiceKeyboard(prompt: StoredPrompt, page: number, options: KeyboardOptions): InlineKeyboardButton[][] {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const { choices, promptSeq } = prompt;
  const multiple = prompt.selected !== undefined;
  const selected = new Set(prompt.selected ?? []);
  const offersDone = multiple && choices.some((c) => c.id === options.doneChoiceId);
  const listed = offersDone ? choices.filter((c) => c.id !== options.doneChoiceId) : choices;
  // Indices refer to the prompt's own choices array, so look them up there.
  const indexOf = new Map(choices.map((c, i) => [c, i] as const));

  const pages = pageCount(listed.length, pageSize);
  const current = Math.min(Math.max(0, page), pages - 1);
  const slice = listed.slice(current * pageSize, (current + 1) * pageSize);
  const buttons = slice.map((c) => ({
    text: shorten(multiple && selected.has(c.id) ? options.labels.selectedPrefix + c.label : c.label),
    callback_data: encodeChoiceData(promptSeq, c.id, indexOf.get(c)!),
  }));
  const perRow = buttons.every((b) => [...b.text].length <= SHORT_LABEL_MAX) ? 2 : 1;
  const rows: InlineKeyboardButton[][] = [];
  for (let i = 0; i < buttons.length; i += perRow) rows.push(buttons.slice(i, i + perRow));

  if (pages > 1) {
    const nav: InlineKeyboardButton[] = [];
    if (current > 0) nav.push({ text: options.labels.previous, callback_data: encodePageData(promptSeq, current - 1) });
    nav.push({ text: `${current + 1}/${pages}`, callback_data: NOOP_DATA });
    if (current < pages - 1) nav.push({ text: options.labels.next, callback_data: encodePageData(promptSeq, current + 1) });
    rows.push(nav);
  }
  if (multiple) {
    const done = choices.find((c) => c.id === options.doneChoiceId);
    const doneIndex = done ? choices.indexOf(done) : choices.length;
    rows.push([{ text: shorten(done?.label ?? options.labels.done), callback_data: encodeChoiceData(promptSeq, options.doneChoiceId, doneIndex) }]);
  }
  return rows;
}

/** The label of the pressed button as shown, without the selected prefix (for logs and notices). */
export function findButtonLabel(keyboard: InlineKeyboardButton[][] | undefined, data: string): string | undefined {
  for (const row of keyboard ?? []) for (const b of row) if ('callback_data' in b && b.callback_data === data) return b.text;
  return undefined;
}
