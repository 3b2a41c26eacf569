/**
 * Renders the service's OutboundMessage within WhatsApp's limits (shared PLATFORMS.md):
 *   - no choices: text, split at 4096 characters;
 *   - a location question: a location request (one tap sends the location), the hint saying LEWATI;
 *   - up to 3 choices: reply buttons (titles 20 characters, unique), body at most 1024;
 *   - up to 10: a list (row title 24, description 72, button label 20), body at most 4096;
 *   - more: the numbered text the engine wrote, answered by number(s) or name.
 * The question's own choices come first; "Lewati", "Selesai" and "Kembali" only take room that is
 * left, else they stay typed words (the hint says them). A label over a limit is shortened with an
 * ellipsis and the whole label goes in the row's description or, for buttons, in the body.
 * A multiple choice has no editing here: each toggle answers with the list again, the chosen rows
 * marked, and "Selesai"; or, when the rows don't fit, the numbered text answered "1 3 5".
 */
import type { OutboundMessage, PromptStructure } from '../../messages/index.js';
import { DONE_ID, SKIP_ID, SKIP_NONE_ID, SKIP_UNKNOWN_ID } from '../../engine/index.js';

export const WA_LIMITS = {
  text: 4096,
  buttonBody: 1024,
  listBody: 4096,
  buttons: 3,
  buttonTitle: 20,
  rows: 10,
  rowTitle: 24,
  rowDescription: 72,
  listButton: 20,
  buttonId: 256,
  rowId: 200,
} as const;

/** The adapter's own words (locales/<lang>/whatsapp.json). */
export interface WhatsAppTexts {
  /** The list's button label ("Pilih"). */
  listButton: string;
  /** Marks a chosen row of a multiple choice. */
  selectedPrefix: string;
  /** A row that goes back one question, when the list has room. */
  back: string;
  /** Said before the full labels of shortened buttons. */
  fullLabels: string;
  /** How to answer, said instead of the engine's "reply with the number" under buttons... */
  tapButton: string;
  /** ...and under a list, whose rows show no numbers (typing a number still works). */
  tapList: string;
  /** The engine's own line that those replace (engine:hint.choose in the reader's language). */
  engineChooseHint: string;
}

export const DEFAULT_WHATSAPP_TEXTS: WhatsAppTexts = {
  listButton: 'Pilih',
  selectedPrefix: '✅ ',
  back: '↩ Kembali',
  fullLabels: 'Pilihan:',
  tapButton: 'Tekan salah satu tombol.',
  tapList: 'Tekan Pilih, lalu pilih jawaban Anda.',
  engineChooseHint: 'Balas dengan nomor pilihan.',
};

/** Reply ids of the ways out: pressed, they arrive as the typed word. */
/** Button ids of the ways out, and the word each stands for. A Map: an id like "constructor" is nobody's way out. */
export const WAYS_OUT_IDS = new Map([['w:back', 'kembali'], ['w:cancel', 'batal']]);

const SKIP_IDS = new Set([SKIP_ID, SKIP_UNKNOWN_ID, SKIP_NONE_ID]);

export type GraphText = { type: 'text'; text: { body: string; preview_url: false } };
export type GraphInteractive = { type: 'interactive'; interactive: Record<string, unknown> };
export type GraphTemplate = { type: 'template'; template: { name: string; language: { code: string }; components?: unknown[] } };
/** A picture WhatsApp fetches from a public link. */
export type GraphImage = { type: 'image'; image: { link: string } };
/** One message body for POST /messages, without messaging_product and the addressee. */
export type GraphMessage = GraphText | GraphInteractive | GraphTemplate | GraphImage;

export function encodeChoiceId(promptSeq: number, choiceId: string): string {
  return `c:${promptSeq}:${choiceId}`;
}

export function decodeChoiceId(id: string): { promptSeq: number; choiceId: string } | null {
  // The service's own prompts (confirm, help, menu actions) have negative numbers.
  const m = /^c:(-?\d{1,12}):([\s\S]+)$/.exec(id);
  return m ? { promptSeq: Number(m[1]), choiceId: m[2]! } : null;
}

/** Cuts to `max` characters (code points), with an ellipsis when cut. */
export function shorten(text: string, max: number): string {
  const chars = [...text.trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

const length = (s: string) => [...s].length;

/** Splits text into pieces of at most `max` characters, at paragraph, line or word ends when it can. */
export function splitMessage(text: string, max: number = WA_LIMITS.text): string[] {
  const chars = [...(text.trim() || '…')];
  const parts: string[] = [];
  let start = 0;
  while (chars.length - start > max) {
    const window = chars.slice(start, start + max).join('');
    let cut = window.lastIndexOf('\n\n');
    if (cut < max / 2) cut = window.lastIndexOf('\n');
    if (cut < max / 2) cut = window.lastIndexOf(' ');
    if (cut < max / 2) cut = window.length;
    const piece = [...window.slice(0, cut)];
    parts.push(piece.join('').trim());
    start += piece.length;
  }
  parts.push(chars.slice(start).join('').trim());
  return parts.filter((p) => p !== '');
}

const textMessage = (body: string): GraphText => ({ type: 'text', text: { body, preview_url: false } });

interface Row {
  id: string;
  label: string;
  description?: string;
}

/**
 * The interactive message's body: the prompt's parts without the numbered list (else the text),
 * the engine's "reply with the number" said as what to tap when `howToAnswer` is given.
 */
function bodyOf(message: OutboundMessage, howToAnswer?: { replace: string; with: string }): string {
  const p: PromptStructure | undefined = message.prompt;
  if (!p) return message.text;
  const hint = howToAnswer && p.hint ? p.hint.split('\n').map((line) => (line.trim() === howToAnswer.replace ? howToAnswer.with : line)).join('\n') : p.hint;
  return [p.lead, p.heading, p.question, hint].filter((s): s is string => !!s && s.trim() !== '').join('\n\n');
}

/**
 * Fits a body within `max`: what does not fit (the lead and heading, e.g. a long summary of
 * answers) goes first as text messages, and the question with its hint stays with the buttons.
 */
function fitBody(message: OutboundMessage, body: string, max: number): { before: GraphText[]; body: string } {
  const text = body.trim() || '…';
  if (length(text) <= max) return { before: [], body: text };
  const p = message.prompt;
  const head = p ? [p.lead, p.heading].filter((s): s is string => !!s && s.trim() !== '').join('\n\n') : '';
  let before: string[];
  let tail: string;
  if (head && text.startsWith(head) && text.length > head.length) {
    before = splitMessage(head);
    tail = text.slice(head.length).trim();
  } else {
    // The last piece that fits goes with the buttons; the rest as few text messages as it takes.
    tail = splitMessage(text, max).at(-1)!;
    const rest = text.slice(0, text.lastIndexOf(tail)).trim();
    before = rest ? splitMessage(rest) : [];
  }
  return { before: before.map(textMessage), body: length(tail) <= max ? tail : shorten(tail, max) };
}

/** Renders one OutboundMessage as one or more Graph API messages. */
export function renderMessage(message: OutboundMessage, texts: WhatsAppTexts = DEFAULT_WHATSAPP_TEXTS): GraphMessage[] {
  const choices = message.prompt?.choices ?? message.choices ?? [];
  const seq = message.promptSeq ?? 0;
  const expect = message.prompt?.expect ?? message.expect;

  if (expect === 'location') {
    const { before, body } = fitBody(message, bodyOf(message), WA_LIMITS.buttonBody);
    return [...before, { type: 'interactive', interactive: { type: 'location_request_message', body: { text: body }, action: { name: 'send_location' } } }];
  }
  if (choices.length === 0) return splitMessage(message.text).map(textMessage);

  const selected = new Set(message.multiple?.selected ?? message.prompt?.multiple?.selected ?? []);
  const multiple = !!(message.multiple ?? message.prompt?.multiple);
  const own: Row[] = [];
  const extra: Row[] = [];
  for (const c of choices) {
    const id = encodeChoiceId(seq, c.id);
    const label = multiple && selected.has(c.id) ? `${texts.selectedPrefix}${c.label}` : c.label;
    const description = 'description' in c && typeof c.description === 'string' ? c.description : undefined;
    const row: Row = { id, label, ...(description ? { description } : {}) };
    // "Lewati" is a way out: it gets room only when the question's choices leave some.
    if (SKIP_IDS.has(c.id)) extra.push(row);
    else own.push(row);
  }
  if (own.some((r) => r.id.length > WA_LIMITS.rowId)) return splitMessage(message.text).map(textMessage);
  // The question's choices, "Selesai" of a multiple choice last.
  const doneId = encodeChoiceId(seq, DONE_ID);
  const needed = [...own.filter((r) => r.id !== doneId), ...own.filter((r) => r.id === doneId)];

  if (needed.length <= WA_LIMITS.buttons && !multiple) {
    const rows = [...needed, ...extra].slice(0, WA_LIMITS.buttons);
    return buttons(message, rows, texts);
  }
  if (needed.length <= WA_LIMITS.rows) {
    const back = message.prompt?.waysOut.back ? [{ id: 'w:back', label: texts.back }] : [];
    const rows = [...needed, ...extra, ...back].slice(0, WA_LIMITS.rows);
    return list(message, rows, texts);
  }
  // Too many for a list: the numbered text, answered by number(s) or name.
  return splitMessage(message.text).map(textMessage);
}

function buttons(message: OutboundMessage, rows: Row[], texts: WhatsAppTexts): GraphMessage[] {
  const base = bodyOf(message, { replace: texts.engineChooseHint, with: texts.tapButton });
  const titles: string[] = [];
  const full: string[] = [];
  for (const [i, r] of rows.entries()) {
    let title = shorten(r.label, WA_LIMITS.buttonTitle);
    // A shortened label is said whole in the body, unless the body says it already (the menu's list).
    if (title !== r.label.trim() && !base.includes(r.label.trim())) full.push(r.label.trim());
    // Titles must be unique: a clash after shortening gets its number.
    if (titles.includes(title)) title = shorten(`${i + 1}. ${r.label}`, WA_LIMITS.buttonTitle);
    titles.push(title);
  }
  const withFull = full.length > 0 ? `${base}\n\n${texts.fullLabels}\n${full.map((f) => `• ${f}`).join('\n')}` : base;
  const { before, body } = fitBody(message, withFull, WA_LIMITS.buttonBody);
  return [
    ...before,
    {
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: body },
        action: { buttons: rows.map((r, i) => ({ type: 'reply', reply: { id: r.id, title: titles[i]! } })) },
      },
    },
  ];
}

function list(message: OutboundMessage, rows: Row[], texts: WhatsAppTexts): GraphMessage[] {
  const { before, body } = fitBody(message, bodyOf(message, { replace: texts.engineChooseHint, with: texts.tapList }), WA_LIMITS.listBody);
  return [
    ...before,
    {
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: body },
        action: {
          button: shorten(texts.listButton, WA_LIMITS.listButton),
          sections: [
            {
              rows: rows.map((r) => {
                const title = shorten(r.label, WA_LIMITS.rowTitle);
                const cut = title !== r.label.trim();
                const description = [cut ? r.label.trim() : undefined, r.description].filter(Boolean).join(' · ');
                return { id: r.id, title, ...(description ? { description: shorten(description, WA_LIMITS.rowDescription) } : {}) };
              }),
            },
          ],
        },
      },
    },
  ];
}
