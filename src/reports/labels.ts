/**
 * Answers by question id -> what a person reads: question labels and choice labels in the
 * chosen language, from the flow definition (or the submission's own `display`, the words
 * the reporter saw, when the flow no longer knows a question).
 */
import type { i18n as I18n } from 'i18next';
import type { Flow, LeafQuestion, Question } from '../engine/index.js';
import { formatDuration } from '../engine/questions/voice.js';
import { isVoiceAnswer, type VoiceAnswer } from '../engine/types.js';
import { isCalendarDay } from '../time/calendar.js';
import { formatShortDate } from '../time/index.js';

export type Lang = 'id' | 'en';

export interface Lookups {
  villages: Map<string, string>;
  activities: Map<string, string>;
}

export interface LabelledAnswer {
  id: string;
  label: string;
  value: string;
  /** Present for a photo stored in GridFS. */
  mediaId?: string;
  /** The photo's caption, when it has one (the page shows the photo itself, not "[foto]"). */
  caption?: string;
  /** Present for a voice note still stored (playable): its length and what a facilitator heard in it. */
  voice?: { seconds?: number; transcript?: string };
}

export interface LabelledSubmission {
  answers: LabelledAnswer[];
  groups: { id: string; label: string; items: LabelledAnswer[][] }[];
}

export type Translate = (key: string, options?: Record<string, unknown>) => string;

export function flowTranslator(i18n: I18n, flow: Flow | undefined, lang: Lang): Translate {
  const t = i18n.getFixedT(lang, flow?.namespace ?? 'workspace');
  return (key, options) => t(key, options ?? {}) as string;
}

/** Every answerable question id of a flow, top level (groups listed separately). */
export function leafQuestions(flow: Flow): LeafQuestion[] {
  return flow.questions.filter((q): q is LeafQuestion => q.type !== 'group' && q.type !== 'note');
}

export function groupQuestions(flow: Flow): Extract<Question, { type: 'group' }>[] {
  return flow.questions.filter((q): q is Extract<Question, { type: 'group' }> => q.type === 'group');
}

export function formatAnswer(q: LeafQuestion, value: unknown, t: Translate, lookups: Lookups, lang: Lang): string {
  if (value === undefined || value === null || value === '') return '';
  const choiceLabel = (id: unknown): string => {
    const s = String(id);
    if ((q.type === 'single' || q.type === 'multi') && q.choicesFrom) {
      if (q.choicesFrom === 'villages') return lookups.villages.get(s) ?? s;
      if (q.choicesFrom === 'activities') return lookups.activities.get(s) ?? s;
      return s;
    }
    if (q.type === 'single' || q.type === 'multi') {
      const choice = q.choices?.find((c) => c.id === s);
      return choice ? t(choice.label) : s;
    }
    return s;
  };
  if (isVoiceAnswer(value)) return voiceText(value, lang);
  switch (q.type) {
    case 'single':
      return choiceLabel(value);
    case 'multi':
      return Array.isArray(value) ? value.map(choiceLabel).join('; ') : choiceLabel(value);
    case 'date':
      // A calendar day as people read it ("8 Des 2026"), the same day in every zone.
      return typeof value === 'string' && isCalendarDay(value) ? formatShortDate(value, lang, 'UTC') : String(value);
    case 'yesno':
      return value === true ? (lang === 'en' ? 'Yes' : 'Ya') : value === false ? (lang === 'en' ? 'No' : 'Tidak') : String(value);
    case 'location': {
      const v = value as { latitude?: number; longitude?: number; name?: string };
      const coords = typeof v.latitude === 'number' && typeof v.longitude === 'number' ? `${v.latitude.toFixed(5)}, ${v.longitude.toFixed(5)}` : '';
      return [v.name, coords].filter(Boolean).join(' ') || '';
    }
    case 'photo': {
      const v = value as { caption?: string; description?: string; fileId?: string };
      if (v.description) return v.description;
      return v.caption ? `[${lang === 'en' ? 'photo' : 'foto'}] ${v.caption}` : `[${lang === 'en' ? 'photo' : 'foto'}]`;
    }
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

/** "[pesan suara 0:23] what was said", or without the transcript while nobody typed it. */
export function voiceText(v: VoiceAnswer, lang: Lang): string {
  const tag = `[${lang === 'en' ? 'voice note' : 'pesan suara'}${v.seconds !== undefined ? ` ${formatDuration(v.seconds)}` : ''}]`;
  return v.transcript ? `${tag} ${v.transcript}` : tag;
}

function labelled(q: LeafQuestion, value: unknown, t: Translate, lookups: Lookups, lang: Lang): LabelledAnswer {
  const out: LabelledAnswer = { id: q.id, label: t(q.label), value: formatAnswer(q, value, t, lookups, lang) };
  if (isVoiceAnswer(value) && value.mediaId) {
    out.voice = { ...(value.seconds !== undefined ? { seconds: value.seconds } : {}), ...(value.transcript ? { transcript: value.transcript } : {}) };
  }
  if (q.type === 'photo' && value && typeof value === 'object' && typeof (value as { mediaId?: unknown }).mediaId === 'string') {
    out.mediaId = (value as { mediaId: string }).mediaId;
    const caption = (value as { caption?: unknown }).caption;
    if (typeof caption === 'string' && caption) out.caption = caption;
  }
  return out;
}

/** A submission's answers with labels; answers the flow doesn't know come from `display` or as raw text. */
export function labelSubmission(
  flow: Flow | undefined,
  answers: Record<string, unknown>,
  display: Record<string, unknown> | null | undefined,
  t: Translate,
  lookups: Lookups,
  lang: Lang,
): LabelledSubmission {
  const result: LabelledSubmission = { answers: [], groups: [] };
  const known = new Set<string>();
  if (flow) {
    for (const q of flow.questions) {
      known.add(q.id);
      if (!(q.id in answers)) continue;
      if (q.type === 'note') continue;
      if (q.type === 'group') {
        const items = Array.isArray(answers[q.id]) ? (answers[q.id] as Record<string, unknown>[]) : [];
        const leaves = q.questions.filter((c): c is LeafQuestion => c.type !== 'note');
        result.groups.push({
          id: q.id,
          label: t(q.label),
          items: items.map((item) => leaves.filter((c) => c.id in item).map((c) => labelled(c, item[c.id], t, lookups, lang))),
        });
        continue;
      }
      result.answers.push(labelled(q, answers[q.id], t, lookups, lang));
    }
  }
  for (const [id, value] of Object.entries(answers)) {
    if (known.has(id)) continue;
    const shown = display && typeof display[id] === 'string' ? (display[id] as string) : typeof value === 'object' ? JSON.stringify(value) : String(value);
    result.answers.push({ id, label: id, value: shown });
  }
  return result;
}
