/** The contract every question type module implements: how to prompt, parse and show an answer. */
import type { ChoiceOption, InboundContent, OutboundMessage } from '../../messages/index.js';
import type { ChoiceItem } from '../choices.js';
import type { LocalDate } from '../dates.js';
import type { EngineKey } from '../keys.js';
import type { AnswerQuestion, StepContext } from '../types.js';

export interface QuestionEnv {
  ctx: StepContext;
  /** Engine text in the member's language. */
  te: (key: EngineKey, options?: Record<string, unknown>) => string;
  /** Choices on offer now (single/multi), filter applied; empty for other types. */
  items: ChoiceItem[];
  /** Ids toggled so far on a multi question; the date already given on a datetime question. */
  selected: string[];
  /** Whether the question must be answered now (a required expression is decided here). */
  required: boolean;
  /** Today's date in the context's time zone. */
  today: LocalDate;
}

export interface Rendered {
  /** Lines after the question text: the numbered choices, hints. */
  lines: string[];
  /** The hint alone, when `lines` also hold the numbered choices (for the structured prompt). */
  hint?: string;
  choices?: ChoiceOption[];
  multiple?: { selected: string[] };
  expect: NonNullable<OutboundMessage['expect']>;
}

export type ParseResult =
  | { kind: 'ok'; value: unknown }
  | { kind: 'error'; message: string }
  /** The question stays open with this part of the answer (a multi's ticks, a datetime's date). */
  | { kind: 'toggle'; selected: string[] };

export interface QuestionHandler<Q extends AnswerQuestion> {
  render(q: Q, env: QuestionEnv): Rendered;
  /** Skip words and the skip button are handled by the engine before this is called. */
  parse(q: Q, input: InboundContent, env: QuestionEnv): ParseResult;
  /** The answer as a short text for the summary and prompt interpolation. */
  display(q: Q, value: unknown, env: QuestionEnv): string;
}

export const ok = (value: unknown): ParseResult => ({ kind: 'ok', value });
export const fail = (message: string): ParseResult => ({ kind: 'error', message });

/** "1. Waru\n2. Bellis" so typing the number works on any phone. */
export function numberedLines(items: ChoiceItem[], selected: string[] = []): string[] {
  return items.map((item, i) => `${i + 1}. ${item.label}${selected.includes(item.id) ? ' ✓' : ''}`);
}
