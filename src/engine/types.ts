/** Types of the flow engine: compiled flows, run state, inputs and results. */
import type { InboundContent, OutboundMessage } from '../messages/index.js';
import type { CompiledExpr } from './expressions.js';

export const ROLES = ['warga', 'pokja', 'fasilitator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const CHOICE_SOURCES = ['villages', 'activities', 'kecamatan'] as const;
export type ChoiceSource = (typeof CHOICE_SOURCES)[number];

/** i18n keys below are relative to the flow's namespace (`flow.namespace`). */
export interface ChoiceDef {
  id: string;
  label: string;
  /** Extra fields a `filter` reads as item.<field> (an XLSForm choices sheet's own columns). */
  data?: Record<string, string | number>;
}

interface QuestionBase {
  id: string;
  /** Key of the question text. */
  prompt: string;
  /** Key of the short label used in the summary and the "change which answer?" list. */
  label: string;
  relevant?: CompiledExpr;
  /** A picture shown before the question (XLSForm media::image): its file name in the form's media. */
  image?: string;
}

interface AnswerableBase extends QuestionBase {
  /** Required always; or, with `requiredIf`, when that holds (XLSForm required as an expression). */
  required: boolean;
  requiredIf?: CompiledExpr;
  /** Key of a line shown under the question. */
  hint?: string;
  /** Key of the message when a required question is skipped (else the engine's own). */
  requiredMessage?: string;
  /** Stored when the person skips (LEWATI) instead of answering. */
  default?: string | number | boolean;
  /** A default computed from earlier answers when the question is asked (XLSForm default as an expression). */
  defaultFrom?: CompiledExpr;
  constraint?: CompiledExpr;
  constraintMessage?: string;
  endIf?: CompiledExpr;
  endMessage?: string;
  /** LEWATI offers "tidak tahu" and "tidak ada" (when the difference matters, e.g. village facilities). */
  skipReasons?: boolean;
}

export interface TextQuestion extends AnswerableBase {
  type: 'text';
  maxLength: number;
  /**
   * A secret (an access code): the typed text is never kept nor shown. What the constraint
   * returned (e.g. the id of the code that matched) is kept instead, submitted under this key.
   */
  keepAs?: string;
  /** A voice note is taken too, for people who can't type (the answer is then a VoiceAnswer). */
  voice?: boolean;
}
export interface NumberQuestion extends AnswerableBase { type: 'integer' | 'decimal'; min?: number; max?: number }
export interface SingleQuestion extends AnswerableBase {
  type: 'single';
  choices?: ChoiceDef[];
  choicesFrom?: ChoiceSource;
  filter?: CompiledExpr;
  /** Key of the message when a typed name matches no choice; closest names of the whole list follow it. */
  unknownMessage?: string;
  /** Choices in a shuffled order, the same for the whole run (with `seed`: the same for that seed). */
  randomize?: boolean;
  seed?: CompiledExpr;
}
export interface MultiQuestion extends AnswerableBase {
  type: 'multi';
  choices?: ChoiceDef[];
  choicesFrom?: ChoiceSource;
  filter?: CompiledExpr;
  minSelected: number;
  maxSelected?: number;
  randomize?: boolean;
  seed?: CompiledExpr;
}
export interface YesNoQuestion extends AnswerableBase { type: 'yesno' }
/** A time of day, stored as "HH:MM". */
export interface TimeQuestion extends AnswerableBase { type: 'time' }
export interface DateQuestion extends AnswerableBase { type: 'date'; notFuture: boolean; notPast?: boolean; min?: string; max?: string }
/** A date and a time of day ("besok jam 9", or the date, then the time), stored as an ISO instant (UTC, as now()). */
export interface DateTimeQuestion extends AnswerableBase { type: 'datetime' }
export interface LocationQuestion extends AnswerableBase { type: 'location' }
export interface PhotoQuestion extends AnswerableBase { type: 'photo' }
/** A voice note (XLSForm audio). */
export interface AudioQuestion extends AnswerableBase { type: 'audio' }
/** A message only: shown, then the flow goes on. */
export interface NoteQuestion extends QuestionBase { type: 'note' }
/** Never asked: its value is computed from earlier answers when the walk passes it. */
export interface CalculateQuestion extends QuestionBase { type: 'calculate'; calculation: CompiledExpr }
export const META_NAMES = ['start', 'end', 'today', 'deviceid', 'username', 'phonenumber', 'email', 'subscriberid', 'simserial'] as const;
export type MetaName = (typeof META_NAMES)[number];
/** Never asked: filled from the run (start, today: when first passed; end: at submit; others from StepContext.meta). */
export interface MetaQuestion extends QuestionBase { type: 'meta'; meta: MetaName }
/** Questions that are never asked nor shown (XLSForm calculate and metadata). */
export type HiddenQuestion = CalculateQuestion | MetaQuestion;

export type AnswerQuestion =
  | TextQuestion
  | NumberQuestion
  | SingleQuestion
  | MultiQuestion
  | YesNoQuestion
  | DateQuestion
  | DateTimeQuestion
  | TimeQuestion
  | LocationQuestion
  | PhotoQuestion
  | AudioQuestion;
export type LeafQuestion = AnswerQuestion | NoteQuestion | HiddenQuestion;

/** A repeat group: its child questions are asked once per item; answers are an array of objects. */
export interface GroupQuestion extends QuestionBase {
  type: 'group';
  repeat: true;
  maxRepeats: number;
  /** Key of the "add another?" yes/no question. */
  addAnother: string;
  /** A fixed number of items (XLSForm repeat_count): no "add another?" asked. */
  repeatCount?: CompiledExpr;
  questions: LeafQuestion[];
}

export type Question = LeafQuestion | GroupQuestion;
export type QuestionType = Question['type'];

export interface Flow {
  id: string;
  version: number;
  namespace: string;
  title: string;
  description: string;
  /** Key of the message sent after a submit; null: none (the flow's hook answers instead). */
  thanks: string | null;
  /** Key of the full privacy notice (the service's PRIVASI command shows it), if the flow has one. */
  privacy?: string;
  roles: Role[];
  questions: Question[];
  /** Where it was loaded from, for error messages. */
  fileName: string;
}

/** Where a run stands. Plain JSON so the run can be stored as is. */
export type Position =
  | { at: 'question'; id: string; group?: { id: string; index: number } }
  /** "Add another?" after item `index` of group `group`. */
  | { at: 'more'; group: string; index: number }
  | { at: 'summary' }
  /** "Which answer do you want to change?" */
  | { at: 'change' };

export interface RunState {
  flowId: string;
  flowVersion: number;
  status: 'active' | 'done';
  outcome?: 'submitted' | 'declined' | 'cancelled';
  /** Null once done. */
  position: Position | null;
  answers: Record<string, unknown>;
  /** Positions answered so far, most recent last: `back` pops them. */
  history: Position[];
  /** Consecutive invalid answers to the current position. */
  failures: number;
  /** Increments each time a question is sent; buttons carry it back. */
  promptSeq: number;
  /** Ids toggled so far on the current multi question. */
  selected?: string[];
  /** True after "change an answer": answered questions are skipped on the way back to the summary. */
  editing?: boolean;
  /** Ids answered in advance (StepContext.preset): never asked. */
  preset?: string[];
  /**
   * Answers set aside because their question left the path (a changed answer made it irrelevant).
   * They come back if the question comes back; they are never submitted. Keys: the question id,
   * or "<group>.<index>.<child>" inside a repeat group.
   */
  parked?: Record<string, unknown>;
  /** Why an optional question was skipped, when the person said it. */
  skipped?: Record<string, SkipReason>;
  /** Questions answered "another" by themselves because their list was empty. */
  auto?: string[];
  /** Set at the start of runs that shuffle choices or make ids (XLSForm randomize, uuid()). */
  seed?: string;
}

/** Why a question was skipped: "tidak tahu" (don't know) or "tidak ada" (there is none). */
export type SkipReason = 'tidak-tahu' | 'tidak-ada';

/** What the engine steps on: the service answers `unsupported` content itself. */
export type EngineInput = Exclude<InboundContent, { kind: 'unsupported' }> | { kind: 'back' };

export interface VillageRecord {
  code: string;
  name: string;
  kecamatan: string;
  aliases: string[];
}

export interface StepContext {
  /** The engine never reads the clock. */
  now: Date;
  /** For "hari ini"/"kemarin" and date display, e.g. 'Asia/Jayapura'. */
  timeZone: string;
  /** An i18next fixed T for the member's language. */
  t: (key: string, options?: Record<string, unknown>) => string;
  data: {
    villages: VillageRecord[];
    activities: { id: string; title: string }[];
  };
  /** The id of the access code that grants `role`, or null when the code grants nothing. */
  checkRoleCode?: (role: string, code: string) => string | null;
  /** Answers known in advance; those questions are skipped. */
  preset?: Record<string, unknown>;
  /** startRun: the prompt number to count on from (the member's last one), so old runs' buttons are stale. */
  firstPromptSeq?: number;
  /**
   * Lines the review shows under the answers, from data the service preloaded (e.g. how many
   * people a broadcast with these answers reaches); null: none.
   */
  reviewNote?: (answers: Record<string, unknown>) => string | null;
  /** Values of `meta` questions such as deviceid or username (XLSForm metadata). */
  meta?: Partial<Record<MetaName, string>>;
}

export type Effect =
  | {
      type: 'submit';
      flowId: string;
      flowVersion: number;
      /** Relevant answers only, by question id (ids of choices, ISO dates, numbers). */
      answers: Record<string, unknown>;
      /**
       * What the person saw, in their language at the time, for each answer: option labels,
       * formatted dates, group items as lists of { questionId: text }. Readable without joins.
       */
      display: Record<string, string | Record<string, string>[]>;
      /** Optional questions skipped with a reason the person gave (answer null in `answers`). */
      skipped?: Record<string, SkipReason>;
    }
  | { type: 'ended'; outcome: 'submitted' | 'declined' | 'cancelled' };

export interface StepResult {
  state: RunState;
  messages: OutboundMessage[];
  effects: Effect[];
}

/** Stored answer shapes of the location and photo questions. */
export type LocationAnswer = { latitude: number; longitude: number; name?: string } | { name: string };
export type PhotoAnswer = { fileId: string; caption?: string; mediaId?: string } | { description: string };
/** A voice note kept in GridFS (`mediaId`); `seconds` when the platform or the file said it. */
export interface VoiceAnswer {
  kind: 'voice';
  fileId: string;
  mediaId?: string;
  seconds?: number;
  mimeType?: string;
  /** What a facilitator heard in it (the workspace), who typed it and when. */
  transcript?: string;
  transcribedBy?: string | null;
  transcribedAt?: Date;
  /** The file was deleted at the person's request (hapusdata): length and transcript stay. */
  removed?: boolean;
}

export function isVoiceAnswer(value: unknown): value is VoiceAnswer {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'voice';
}
