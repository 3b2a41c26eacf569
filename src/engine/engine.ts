/**
 * The conversation engine: a pure state machine over a compiled flow.
 * step(flow, state, input, ctx) -> new state + messages to send + effects for the service.
 * No I/O and no clock: time, translations and lookups come in through StepContext.
 */
import type { ChoiceOption, InboundContent, OutboundMessage, PromptStructure } from '../messages/index.js';
import { allQuestionItems, matchChoice, OTHER_ID, questionItems, suggestChoices, type ChoiceItem } from './choices.js';
import { createHash, randomUUID } from 'node:crypto';
import { formatCalendarDay } from '../time/calendar.js';
import { localDate, type LocalDate } from './dates.js';
import { evaluate, evaluateBool, type ExprScope, type ExprVars } from './expressions.js';
import { defaultAnswer, fillEnd, fillHidden, isAnswerQuestion, isHidden, questionScope, repeatCountOf } from './hidden.js';
import { engineKey, type EngineKey } from './keys.js';
import { cursorAfter, locate, type Cursor } from './navigation.js';
import { handlerFor, type QuestionEnv } from './questions/index.js';
import { numberedLines } from './questions/types.js';
import { submitted } from './submission.js';
import { yesNoRender, yesNoValue } from './questions/yesno.js';
import { isBackWord, isSkipWord, skipReasonOf } from './text.js';
import type {
  AnswerQuestion,
  EngineInput,
  Flow,
  GroupQuestion,
  LeafQuestion,
  Position,
  RunState,
  SkipReason,
  StepContext,
  StepResult,
} from './types.js';
import { isVoiceAnswer } from './types.js';

/** Button id of "skip" on an optional question. */
export const SKIP_ID = '__skip';
/** Skip buttons that say why, on questions with skipReasons: "tidak tahu" and "tidak ada". */
export const SKIP_UNKNOWN_ID = '__skip_unknown';
export const SKIP_NONE_ID = '__skip_none';
/** Own keys only (a Map): a button id "constructor" or "__proto__" is no skip. */
const SKIP_BUTTONS = new Map<string, SkipReason>([[SKIP_UNKNOWN_ID, 'tidak-tahu'], [SKIP_NONE_ID, 'tidak-ada']]);
/** Button ids on the summary. */
export const SEND_ID = 'send';
export const CHANGE_ID = 'change';

const MAX_HISTORY = 200;
const HELP_AFTER_FAILURES = 3;

/** Starts a run: applies preset answers and sends the first question. */
export function startRun(flow: Flow, ctx: StepContext): StepResult {
  const state: RunState = {
    flowId: flow.id,
    flowVersion: flow.version,
    status: 'active',
    position: null,
    answers: {},
    history: [],
    failures: 0,
    // Prompt numbers go on from the member's last run, so a button of a finished run never matches.
    promptSeq: ctx.firstPromptSeq ?? 0,
  };
  const preset: string[] = [];
  for (const [id, value] of Object.entries(ctx.preset ?? {})) {
    const loc = locate(flow, id);
    // Only top-level answer questions can be known in advance.
    if (!loc || loc.group || loc.q.type === 'group' || loc.q.type === 'note' || value === undefined) continue;
    state.answers[id] = value;
    preset.push(id);
  }
  if (preset.length > 0) state.preset = preset;
  if (needsSeed(flow)) {
    // Drawn once, then kept with the run: shuffled choices and uuid() stay the same for the whole
    // run (every step, a retried one too, reads it from the state), and differ between runs.
    state.seed = randomUUID().replace(/-/g, '');
  }
  const turn = new Turn(flow, ctx, state);
  turn.forward({ kind: 'top', index: 0 });
  return turn.result();
}

/** Applies one input (an answer, a button, or back) to a run. */
export function step(flow: Flow, state: RunState, input: EngineInput, ctx: StepContext): StepResult {
  const turn = new Turn(flow, ctx, prepare(flow, state));
  if (turn.state.status === 'done') {
    turn.say(turn.te('done'));
    return turn.result();
  }
  if (turn.migrate()) return turn.result();
  turn.handle(input);
  return turn.result();
}

/** Sends the current question again (after help, a language change, or when a person returns). */
export function repromptRun(flow: Flow, state: RunState, ctx: StepContext): StepResult {
  const turn = new Turn(flow, ctx, prepare(flow, state));
  if (turn.state.status === 'done') {
    turn.say(turn.te('done'));
    return turn.result();
  }
  if (!turn.migrate()) turn.ask();
  return turn.result();
}

/** Ends a run without submitting (the service's "batal"): nothing kept. */
export function cancelRun(flow: Flow, state: RunState, ctx: StepContext): StepResult {
  const turn = new Turn(flow, ctx, prepare(flow, state));
  if (turn.state.status === 'active') turn.finish('cancelled', turn.te('cancelled'));
  return turn.result();
}

/** Who may start a flow. */
export function canStart(flow: Flow, role: string): boolean {
  return (flow.roles as string[]).includes(role);
}

function prepare(flow: Flow, state: RunState): RunState {
  if (state.flowId !== flow.id) throw new Error(`run belongs to flow "${state.flowId}", not "${flow.id}"`);
  // A deep copy keeps the caller's state untouched. State is plain JSON by design, and a JSON
  // round trip also copes with a stored document's wrappers (toJSON).
  return JSON.parse(JSON.stringify(state)) as RunState;
}

type Vars = { answers: Record<string, unknown>; group?: Record<string, unknown>; position?: number };

const seedUse = new WeakMap<Flow, boolean>();
/** Does the flow shuffle choices or make ids (then each run keeps a seed)? */
function needsSeed(flow: Flow): boolean {
  let needs = seedUse.get(flow);
  if (needs === undefined) {
    const all = flow.questions.flatMap((q) => (q.type === 'group' ? q.questions : [q]));
    const uuid = (e: { source: string } | undefined): boolean => e !== undefined && /\buuid\(/.test(e.source);
    needs = all.some((q) => ((q.type === 'single' || q.type === 'multi') && q.randomize) || (q.type === 'calculate' && uuid(q.calculation)) || (isAnswerQuestion(q) && uuid(q.defaultFrom)));
    seedUse.set(flow, needs);
  }
  return needs;
}

/** A shuffle that gives the same order for the same seed (Park-Miller). */
export function seededShuffle<T>(list: T[], seed: number): T[] {
  const out = [...list];
  let state = Math.abs(Math.trunc(seed)) % 2147483647;
  if (state <= 0) state += 2147483646;
  const next = (): number => {
    state = (state * 16807) % 2147483647;
    return (state - 1) / 2147483646;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** One engine call: a working copy of the state plus what to send and do. */
class Turn {
  readonly messages: OutboundMessage[] = [];
  readonly effects: StepResult['effects'] = [];
  private readonly scope: ExprScope;
  private readonly today: LocalDate;

  constructor(
    readonly flow: Flow,
    readonly ctx: StepContext,
    readonly state: RunState,
  ) {
    this.today = localDate(ctx.now, ctx.timeZone);
    const words = (key: EngineKey) => () => this.te(key).split(',');
    this.scope = {
      checkRoleCode: ctx.checkRoleCode,
      today: formatCalendarDay(this.today),
      now: ctx.now,
      timeZone: ctx.timeZone,
      ...(state.seed !== undefined ? { seed: state.seed } : {}),
      choiceLabel: (id, value) => {
        const q = locate(flow, id)?.q;
        if (q?.type !== 'single' && q?.type !== 'multi') return undefined;
        return allQuestionItems(q, ctx, this.labelFn).find((i) => i.id === value)?.label;
      },
    };
    // Month and day names only when format-date asks (a lookup per turn otherwise).
    lazy(this.scope, 'months', words('format.months'));
    lazy(this.scope, 'days', words('format.days'));
  }

  result(): StepResult {
    return { state: this.state, messages: this.messages, effects: this.effects };
  }

  // ---- texts ----

  te(key: EngineKey, options?: Record<string, unknown>): string {
    return this.ctx.t(engineKey(key), { interpolation: { escapeValue: false }, ...options });
  }

  // Made once per turn, not per env(): the summary builds an env for every answer it shows.
  private readonly teFn = (key: EngineKey, options?: Record<string, unknown>): string => this.te(key, options);
  private readonly labelFn = (key: string): string => this.label(key);

  /** A flow text; `{{answers.<id>}}` in it shows an earlier answer. */
  tf(key: string, options?: Record<string, unknown>): string {
    return this.ctx.t(`${this.flow.namespace}:${key}`, {
      answers: this.displayAnswers(),
      interpolation: { escapeValue: false },
      ...options,
    });
  }

  /** A flow text without interpolation: labels of choices and summary lines. */
  label(key: string): string {
    return this.ctx.t(`${this.flow.namespace}:${key}`);
  }

  say(text: string): void {
    this.messages.push({ text, expect: 'none' });
  }

  // ---- answers and expressions ----

  private groupItem(pos: Position | null): Record<string, unknown> | undefined {
    if (!pos || pos.at !== 'question' || !pos.group) return undefined;
    const items = this.state.answers[pos.group.id];
    return Array.isArray(items) ? (items[pos.group.index] as Record<string, unknown> | undefined) : undefined;
  }

  private vars(group?: Record<string, unknown>): Vars {
    return group ? { answers: this.state.answers, group, position: this.positionOf(group) } : { answers: this.state.answers };
  }

  /** The number of a repeat item (1 for the first), for position(..). */
  private positionOf(item: Record<string, unknown>): number | undefined {
    for (const q of this.flow.questions) {
      const list = q.type === 'group' ? this.state.answers[q.id] : undefined;
      const i = Array.isArray(list) ? list.indexOf(item) : -1;
      if (i >= 0) return i + 1;
    }
    return undefined;
  }

  /** Required always, or when its expression holds now. */
  private isRequired(q: AnswerQuestion, group?: Record<string, unknown>): boolean {
    return q.required || (q.requiredIf !== undefined && evaluateBool(q.requiredIf, this.vars(group), this.scope, false));
  }

  /** What skipping stores: the fixed default, or one computed from the answers so far. */
  private defaultOf(q: AnswerQuestion, group?: Record<string, unknown>): unknown {
    if (q.defaultFrom) {
      const vars = this.vars(group);
      return defaultAnswer(q, evaluate(q.defaultFrom, vars, questionScope(this.scope, q.id, vars), undefined));
    }
    return defaultAnswer(q);
  }

  private relevant(q: { relevant?: LeafQuestion['relevant'] }, group?: Record<string, unknown>): boolean {
    // An expression that fails at run time asks the question rather than hide it.
    return q.relevant ? evaluateBool(q.relevant, this.vars(group), this.scope, true) : true;
  }

  private withValue(q: AnswerQuestion, value: unknown, group?: Record<string, unknown>): ExprVars {
    // Constraint and endIf see the new value both as `value` and under its own id.
    if (group) return { answers: this.state.answers, group: { ...group, [q.id]: value }, value, position: this.positionOf(group) };
    return { answers: { ...this.state.answers, [q.id]: value }, value };
  }

  env(q: AnswerQuestion, group?: Record<string, unknown>, allItems = false): QuestionEnv {
    let items: ChoiceItem[] = [];
    if (q.type === 'single' || q.type === 'multi') {
      items = allItems ? allQuestionItems(q, this.ctx, this.labelFn) : questionItems(q, this.ctx, this.labelFn, this.vars(group), this.scope);
      if (q.randomize && !allItems) items = seededShuffle(items, this.shuffleSeed(q, group));
    }
    return {
      ctx: this.ctx,
      te: this.teFn,
      items,
      selected: this.state.selected ?? [],
      required: this.isRequired(q, group),
      today: this.today,
    };
  }

  /** The question's seed (a number or an expression), else one of this run and question. */
  private shuffleSeed(q: { id: string; seed?: AnswerQuestion['constraint'] }, group?: Record<string, unknown>): number {
    const given = q.seed ? Number(evaluate(q.seed, this.vars(group), this.scope, NaN)) : NaN;
    if (Number.isFinite(given)) return given;
    return parseInt(createHash('sha256').update(`${this.state.seed ?? ''}:${q.id}`).digest('hex').slice(0, 8), 16);
  }

  display(q: AnswerQuestion, value: unknown): string {
    if (value === null || value === undefined) {
      const reason = this.state.skipped?.[q.id];
      return reason ? this.te(reason === 'tidak-tahu' ? 'summary.skipped_unknown' : 'summary.skipped_none') : this.te('summary.skipped');
    }
    // A secret (an access code) is never shown, only that it was accepted.
    if (q.type === 'text' && q.keepAs) return this.te('summary.secret');
    // Without the filter, so an answer still shows if its filter inputs changed.
    return handlerFor(q).display(q, value, this.env(q, undefined, true));
  }

  /**
   * Answers as display text for interpolation in prompts ("{{answers.name}}"). Getters, so
   * only the answers a text actually shows are rendered (rendering all of them for every
   * prompt was most of the cost of a step).
   */
  /** Inside a repeat item, `{{group.<id>}}` shows an earlier answer of the same item (XLSForm ${x}). */
  private groupVars(group: GroupQuestion | undefined, item: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
    if (!group || !item) return undefined;
    const shown: Record<string, string> = {};
    for (const c of group.questions) {
      const v = item[c.id];
      if (v === null || v === undefined) continue;
      if (isHidden(c)) shown[c.id] = String(v);
      else if (isAnswerQuestion(c)) shown[c.id] = this.display(c, v);
    }
    return { group: shown };
  }

  private displayAnswers(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const q of this.flow.questions) {
      if (q.type === 'note' || q.type === 'group') continue;
      const v = this.state.answers[q.id];
      if (v !== null && v !== undefined) {
        Object.defineProperty(out, q.id, { enumerable: true, get: () => (isHidden(q) ? String(v) : this.display(q, v)) });
      }
    }
    return out;
  }

  /** Is an existing answer still acceptable (used when coming back from the summary)? */
  private stillValid(q: AnswerQuestion): boolean {
    if (!(q.id in this.state.answers)) return false;
    const v = this.state.answers[q.id];
    if (v === null || v === undefined) return !this.isRequired(q);
    // A secret holds what its check returned, not the text: dropped when what it was checked against changes.
    if (q.type === 'text' && q.keepAs) return true;
    // "Another" taken by itself (an empty list) is asked once the list has something (another kecamatan chosen).
    if (this.state.auto?.includes(q.id) && !this.onlyOther(q)) return false;
    if (q.type === 'single' || q.type === 'multi') {
      const ids = new Set(this.env(q).items.map((i) => i.id));
      const values = Array.isArray(v) ? v : [v];
      if (!values.every((x) => ids.has(String(x)))) return false;
    }
    if (q.constraint && !evaluateBool(q.constraint, { answers: this.state.answers, value: v }, this.scope, false)) return false;
    return true;
  }

  // ---- walking ----

  /** Moves to the next position from `cursor`, showing notes on the way, and asks it. */
  forward(cursor: Cursor): void {
    const next = this.seek(cursor);
    if (next === 'no_choices') {
      this.finish('cancelled', this.te('error.no_choices'));
      return;
    }
    this.moveTo(next);
    this.ask();
  }

  private moveTo(pos: Position): void {
    this.state.position = pos;
    this.state.failures = 0;
    delete this.state.selected;
    if (pos.at === 'summary') delete this.state.editing;
    if (pos.at === 'question') {
      const q = locate(this.flow, pos.id)?.q;
      if (q?.type === 'multi') {
        // Re-asking a multi question starts from the earlier answer.
        const before = pos.group ? this.groupItem(pos)?.[q.id] : this.state.answers[q.id];
        this.state.selected = Array.isArray(before) ? before.map(String) : [];
      }
    }
  }

  private seek(start: Cursor): Position | 'no_choices' {
    const { answers } = this.state;
    const editing = this.state.editing === true;
    let cur: Cursor = start;
    for (;;) {
      if (cur.kind === 'top') {
        const q = this.flow.questions[cur.index];
        if (!q) return { at: 'summary' };
        const next: Cursor = { kind: 'top', index: cur.index + 1 };
        if (q.type === 'group') {
          if (!this.relevant(q)) {
            this.park(q.id);
            cur = next;
            continue;
          }
          this.unpark(q.id);
          const existing = answers[q.id];
          if (editing && Array.isArray(existing) && existing.length > 0) {
            cur = next;
            continue;
          }
          if (!Array.isArray(existing)) answers[q.id] = [];
          if (repeatCountOf(q, this.vars(), this.scope) === 0) {
            answers[q.id] = [];
            cur = next;
            continue;
          }
          cur = { kind: 'child', group: q, top: cur.index, item: 0, child: 0 };
          continue;
        }
        if (this.state.preset?.includes(q.id)) {
          cur = next;
          continue;
        }
        if (!this.relevant(q)) {
          // Answers on a branch no longer taken are set aside: never submitted, back if the branch is.
          this.park(q.id);
          cur = next;
          continue;
        }
        this.unpark(q.id);
        if (q.type === 'note') {
          if (!editing) {
            this.showImage(q);
            this.say(this.tf(q.prompt));
          }
          cur = next;
          continue;
        }
        if (isHidden(q)) {
          fillHidden(q, answers, this.vars(), this.scope, this.ctx, formatCalendarDay(this.today));
          cur = next;
          continue;
        }
        if (editing && this.stillValid(q)) {
          cur = next;
          continue;
        }
        if (this.onlyOther(q)) {
          // Nothing in the list (a plan without activities): "another" is the answer, its name is asked next.
          answers[q.id] = OTHER_ID;
          if (!this.state.auto?.includes(q.id)) (this.state.auto ??= []).push(q.id);
          cur = next;
          continue;
        }
        if ((q.type === 'single' || q.type === 'multi') && this.env(q).items.length === 0) {
          if (this.isRequired(q)) return 'no_choices';
          answers[q.id] = null;
          cur = next;
          continue;
        }
        return { at: 'question', id: q.id };
      }

      // Inside a repeat group.
      const { group, item, child } = cur;
      const list = answers[group.id] as Record<string, unknown>[];
      if (child >= group.questions.length) {
        const count = repeatCountOf(group, this.vars(), this.scope);
        if (count !== undefined) {
          // A fixed number of items: the next one straight away, no "add another?".
          if (item + 1 < count) cur = { ...cur, item: item + 1, child: 0 };
          else {
            list.splice(count);
            cur = { kind: 'top', index: cur.top + 1 };
          }
          continue;
        }
        if (item + 1 < group.maxRepeats) return { at: 'more', group: group.id, index: item };
        cur = { kind: 'top', index: cur.top + 1 };
        continue;
      }
      const obj = (list[item] ??= {});
      const c = group.questions[child]!;
      const next: Cursor = { ...cur, child: child + 1 };
      if (!this.relevant(c, obj)) {
        delete obj[c.id];
        cur = next;
        continue;
      }
      if (c.type === 'note') {
        this.showImage(c);
        this.say(this.tf(c.prompt, this.groupVars(group, obj)));
        cur = next;
        continue;
      }
      if (isHidden(c)) {
        fillHidden(c, obj, this.vars(obj), this.scope, this.ctx, formatCalendarDay(this.today));
        cur = next;
        continue;
      }
      if ((c.type === 'single' || c.type === 'multi') && this.env(c, obj).items.length === 0) {
        if (this.isRequired(c, obj)) return 'no_choices';
        obj[c.id] = null;
        cur = next;
        continue;
      }
      return { at: 'question', id: c.id, group: { id: group.id, index: item } };
    }
  }

  // ---- sending ----

  /** Sends the current position's question. `lead` (an error, "old button") goes first in the same message. */
  ask(lead?: string, keepSeq = false): void {
    const pos = this.state.position;
    if (!pos) return;
    if (!keepSeq) this.state.promptSeq += 1;
    const parts: string[] = lead ? [lead] : [];
    let message: Omit<OutboundMessage, 'text' | 'promptSeq'>;
    // The same message as structure, for channels that lay it out themselves (WhatsApp lists, the web).
    let prompt: Omit<PromptStructure, 'waysOut' | 'expect' | 'lead'>;
    let skippable = false;

    if (pos.at === 'question') {
      const loc = locate(this.flow, pos.id)!;
      const q = loc.q as AnswerQuestion;
      // The picture once, when the question is first put (not after a wrong answer or a toggle).
      if (!lead && !keepSeq) this.showImage(q);
      const item = this.groupItem(pos);
      let heading: string | undefined;
      if (loc.group && pos.group && item && this.firstOfItem(loc.group, loc.child!, item)) {
        heading = this.tf(loc.group.prompt, { n: pos.group.index + 1 });
        parts.push(heading);
      }
      const env = this.env(q, item);
      const rendered = handlerFor(q).render(q, env);
      const question = this.tf(q.prompt, this.groupVars(loc.group, item));
      const lines = [question, ...(q.hint ? [this.tf(q.hint)] : []), ...rendered.lines];
      const hints = [...(q.hint ? [this.tf(q.hint)] : []), ...(rendered.hint !== undefined ? [rendered.hint] : rendered.lines)];
      let choices = rendered.choices;
      const preset = this.defaultOf(q, item);
      skippable = !env.required || preset !== undefined;
      if (skippable && q.skipReasons && preset === undefined) {
        // "Tidak tahu" and "tidak ada" mean different things here (a facility unknown vs missing).
        lines.push(this.te('hint.skip_reasons'));
        hints.push(this.te('hint.skip_reasons'));
        choices = [...(choices ?? []), { id: SKIP_UNKNOWN_ID, label: this.te('button.skip_unknown') }, { id: SKIP_NONE_ID, label: this.te('button.skip_none') }];
      } else if (skippable) {
        // With a default, skipping stores it: the button says which.
        const shown = preset !== undefined ? ` (${this.display(q, preset)})` : '';
        lines.push(this.te('hint.skip'));
        hints.push(this.te('hint.skip'));
        choices = [...(choices ?? []), { id: SKIP_ID, label: `${this.te('button.skip')}${shown}` }];
      }
      if (this.isFirstQuestion()) {
        // The ways out are said at once, not only after the person got stuck.
        lines.push(this.te('hint.ways_out'));
        hints.push(this.te('hint.ways_out'));
      }
      parts.push(lines.join('\n'));
      message = { expect: rendered.expect, ...(choices ? { choices } : {}), ...(rendered.multiple ? { multiple: rendered.multiple } : {}) };
      const multiple = rendered.multiple && q.type === 'multi'
        ? { selected: rendered.multiple.selected, min: q.minSelected, ...(q.maxSelected !== undefined ? { max: q.maxSelected } : {}) }
        : undefined;
      prompt = { ...(heading ? { heading } : {}), question, hint: hints.join('\n'), ...(choices ? { choices: described(choices, env.items) } : {}), ...(multiple ? { multiple } : {}) };
    } else if (pos.at === 'more') {
      const group = locate(this.flow, pos.group)!.q as GroupQuestion;
      const rendered = yesNoRender({ te: this.teFn });
      const question = this.tf(group.addAnother, { n: pos.index + 1 });
      parts.push([question, ...rendered.lines].join('\n'));
      message = { expect: 'choice', choices: rendered.choices };
      prompt = { question, hint: rendered.lines.join('\n'), choices: rendered.choices };
    } else if (pos.at === 'summary') {
      const note = this.ctx.reviewNote?.(this.state.answers);
      const summary = note ? `${this.summaryText()}\n\n${note}` : this.summaryText();
      parts.push(`${summary}\n\n${this.te('summary.question')}`);
      message = { expect: 'choice', choices: this.summaryItems().map(toOption) };
      prompt = { heading: summary, question: this.te('summary.question'), choices: message.choices };
    } else {
      const items = this.changeItems();
      parts.push([this.te('change.prompt'), numberedLines(items).join('\n')].join('\n'));
      message = { expect: 'choice', choices: items.map(toOption) };
      prompt = { question: this.te('change.prompt'), choices: message.choices };
    }
    const waysOut = { back: this.state.history.length > 0, cancel: true, skip: skippable };
    this.messages.push({
      text: parts.join('\n\n'),
      promptSeq: this.state.promptSeq,
      ...message,
      prompt: { ...(lead ? { lead } : {}), ...prompt, waysOut, expect: message.expect ?? 'text' },
    });
  }

  /** A question's picture (XLSForm media::image), sent as a photo of its own before the text. */
  private showImage(q: { image?: string }): void {
    if (q.image) this.messages.push({ text: '', image: { flow: this.flow.id, file: q.image }, expect: 'none' });
  }

  /** The first question a run asks (no answer given yet): where the ways out are said. */
  private isFirstQuestion(): boolean {
    return !this.state.history.some((p) => p.at === 'question');
  }

  // ---- answers kept aside ----

  /** Sets a top-level answer aside (its question left the path), with why it was skipped. */
  private park(id: string): void {
    const { answers } = this.state;
    if (!(id in answers)) return;
    (this.state.parked ??= {})[id] = answers[id];
    delete answers[id];
  }

  /** Brings a set-aside answer back when its question is on the path again. */
  private unpark(id: string): void {
    const parked = this.state.parked;
    if (!parked || !(id in parked)) return;
    if (!(id in this.state.answers)) this.state.answers[id] = parked[id];
    delete parked[id];
    if (Object.keys(parked).length === 0) delete this.state.parked;
  }

  /** A single question whose list is empty but for "another, not in the list". */
  private onlyOther(q: LeafQuestion, group?: Record<string, unknown>): boolean {
    if (q.type !== 'single' || !q.choicesFrom || !q.choices?.some((c) => c.id === OTHER_ID)) return false;
    const items = this.env(q, group).items;
    return items.length === 1 && items[0]!.id === OTHER_ID;
  }

  private firstOfItem(group: GroupQuestion, child: number, item: Record<string, unknown>): boolean {
    return group.questions.slice(0, child).every((c) => !(c.id in item));
  }

  /** The answers as the summary lists them (without the question under them). */
  private summaryText(): string {
    const lines = [this.te('summary.title')];
    for (const q of this.flow.questions) {
      if (q.type === 'note' || isHidden(q) || !(q.id in this.state.answers)) continue;
      const value = this.state.answers[q.id];
      if (q.type === 'group') {
        const list = Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
        lines.push(`${this.label(q.label)}:${list.length === 0 ? ` ${this.te('summary.skipped')}` : ''}`);
        list.forEach((obj, i) => {
          const shown = q.questions
            .filter((c): c is AnswerQuestion => isAnswerQuestion(c) && c.id in obj)
            .map((c) => this.display(c, obj[c.id]));
          lines.push(`  ${i + 1}) ${shown.join(', ')}`);
        });
        continue;
      }
      lines.push(`${this.label(q.label)}: ${this.display(q, value)}`);
    }
    return lines.join('\n');
  }

  private summaryItems(): ChoiceItem[] {
    return [
      { id: SEND_ID, label: this.te('button.send'), aliases: ['kirim', 'send', 'kirimkan', 'ya', 'y', 'yes'], data: {} },
      { id: CHANGE_ID, label: this.te('button.change'), aliases: ['ubah', 'change', 'edit', 'ganti', 'perbaiki'], data: {} },
    ];
  }

  /** Answered questions a person may change (not preset ones, not notes). */
  private changeItems(): ChoiceItem[] {
    return this.flow.questions
      .filter((q) => q.type !== 'note' && !isHidden(q) && q.id in this.state.answers && !this.state.preset?.includes(q.id))
      .map((q) => ({ id: q.id, label: this.label(q.label), data: {} }));
  }

  // ---- handling input ----

  handle(input: EngineInput): void {
    if (input.kind === 'back' || (input.kind === 'text' && isBackWord(input.text))) {
      this.back();
      return;
    }
    if (input.kind === 'choice' && input.promptSeq !== this.state.promptSeq) {
      // An old button: answer nothing, show what is being asked now.
      this.ask(this.te('stale'));
      return;
    }
    const pos = this.state.position!;
    switch (pos.at) {
      case 'question':
        this.answerQuestion(pos, input);
        return;
      case 'more':
        this.answerMore(pos, input);
        return;
      case 'summary':
        this.answerSummary(input);
        return;
      case 'change':
        this.answerChange(input);
        return;
    }
  }

  private answerQuestion(pos: Extract<Position, { at: 'question' }>, input: InboundContent): void {
    const q = locate(this.flow, pos.id)!.q as AnswerQuestion;
    const item = this.groupItem(pos);
    const required = this.isRequired(q, item);
    const preset = this.defaultOf(q, item);
    const reason = required ? undefined : this.skipReason(q, input);
    const skip = reason !== undefined || (input.kind === 'text' && isSkipWord(input.text)) || (input.kind === 'choice' && input.choiceId === SKIP_ID);
    if (skip && reason && preset === undefined && !item) {
      // "tidak tahu" / "tidak ada": skipped, and why.
      this.accept(pos, q, null);
      (this.state.skipped ??= {})[q.id] = reason;
      return;
    }
    if (skip) {
      if (preset !== undefined) this.accept(pos, q, preset);
      else if (required) this.fail(q.requiredMessage ? this.tf(q.requiredMessage) : this.te('error.required'));
      else this.accept(pos, q, null);
      return;
    }
    if (input.kind === 'audio' && !acceptsVoice(q)) {
      // Kept kindly: the question stays, nothing answered so far is lost.
      this.fail(this.te('error.voice_not_here'));
      return;
    }
    const parsed = handlerFor(q).parse(q, input, this.env(q, item));
    if (parsed.kind === 'toggle') {
      // Same question, same buttons: the prompt number stays so quick taps are not "old".
      this.state.selected = parsed.selected;
      this.ask(undefined, true);
      return;
    }
    if (parsed.kind === 'error') {
      this.fail(this.unknownChoice(q, input, item) ?? parsed.message);
      return;
    }
    let value = parsed.value;
    if (q.constraint && value !== null && !isVoiceAnswer(value) && !evaluateBool(q.constraint, this.withValue(q, value, item), this.scope, false)) {
      // The refused answer is available to the message as {{value}} (never a secret's).
      this.fail(this.tf(q.constraintMessage!, { value: q.type === 'text' && q.keepAs ? '' : this.display(q, value) }));
      return;
    }
    if (q.type === 'text' && q.keepAs && value !== null) {
      // A secret: keep what the check returned (the id of the code), never the typed text.
      const checked = evaluate(q.constraint!, this.withValue(q, value, item), this.scope, null);
      value = typeof checked === 'string' || typeof checked === 'number' ? checked : true;
    }
    this.accept(pos, q, value);
  }

  /** "tidak tahu" / "tidak ada" typed, or their buttons, on an optional question. */
  private skipReason(q: AnswerQuestion, input: InboundContent): SkipReason | undefined {
    if (input.kind === 'choice') return SKIP_BUTTONS.get(input.choiceId);
    // On a yes/no question "tidak ada" is an answer ("no"), not a skip.
    if (input.kind === 'text' && q.type !== 'yesno') return skipReasonOf(input.text);
    return undefined;
  }

  /**
   * A typed name that is on no list here: say so, with the closest names of the whole list
   * (other kecamatan too) and the flow's own words (which area is covered, "desa lain").
   */
  private unknownChoice(q: AnswerQuestion, input: InboundContent, item?: Record<string, unknown>): string | undefined {
    if (q.type !== 'single' || !q.unknownMessage || input.kind !== 'text' || /^\s*\d+\s*$/.test(input.text)) return undefined;
    const offered = this.env(q, item).items;
    const other = offered.findIndex((i) => i.id === OTHER_ID);
    const all = allQuestionItems(q, this.ctx, this.labelFn).filter((i) => i.id !== OTHER_ID);
    const near = suggestChoices(input.text, all).map((i) => (i.description ? `${i.label} (${i.description})` : i.label));
    const lines = [this.tf(q.unknownMessage, { text: input.text.trim(), other: other >= 0 ? other + 1 : '' })];
    if (near.length > 0) lines.push(this.te('error.choice_near', { list: near.join(', ') }));
    return lines.join('\n');
  }

  private accept(pos: Extract<Position, { at: 'question' }>, q: AnswerQuestion, value: unknown): void {
    const item = this.groupItem(pos);
    if (item) item[q.id] = value;
    else {
      const before = this.state.answers[q.id];
      this.state.answers[q.id] = value;
      if (this.state.skipped?.[q.id]) delete this.state.skipped[q.id];
      if (this.state.auto) this.state.auto = this.state.auto.filter((id) => id !== q.id);
      if (JSON.stringify(before) !== JSON.stringify(value)) this.dropSecretsChecked(q.id);
    }
    this.remember(pos);
    if (q.endIf && evaluateBool(q.endIf, this.withValue(q, value, item), this.scope, false)) {
      this.finish('declined', this.tf(q.endMessage!));
      return;
    }
    this.forward(cursorAfter(this.flow, pos));
  }

  private answerMore(pos: Extract<Position, { at: 'more' }>, input: InboundContent): void {
    const yes = yesNoValue(input);
    if (yes === undefined) {
      this.fail(this.te('error.yesno'));
      return;
    }
    this.remember(pos);
    const loc = locate(this.flow, pos.group)!;
    const group = loc.q as GroupQuestion;
    if (yes) {
      this.forward({ kind: 'child', group, top: loc.top, item: pos.index + 1, child: 0 });
      return;
    }
    // Drop any later items left from going back.
    const list = this.state.answers[group.id];
    if (Array.isArray(list)) this.state.answers[group.id] = list.slice(0, pos.index + 1);
    this.forward(cursorAfter(this.flow, pos));
  }

  private answerSummary(input: InboundContent): void {
    const items = this.summaryItems();
    const picked = pickItem(input, items);
    if (picked?.id === SEND_ID) {
      this.submit();
    } else if (picked?.id === CHANGE_ID) {
      this.remember({ at: 'summary' });
      this.moveTo({ at: 'change' });
      this.ask();
    } else {
      this.fail(this.te('error.summary'));
    }
  }

  private answerChange(input: InboundContent): void {
    const picked = pickItem(input, this.changeItems());
    if (!picked) {
      this.fail(this.te('error.choice'));
      return;
    }
    this.remember({ at: 'change' });
    this.state.editing = true;
    const loc = locate(this.flow, picked.id)!;
    if (loc.q.type === 'group') {
      // A group is answered again from its first item.
      this.state.answers[loc.q.id] = [];
      this.forward({ kind: 'child', group: loc.q, top: loc.top, item: 0, child: 0 });
      return;
    }
    this.moveTo({ at: 'question', id: loc.q.id });
    this.ask();
  }

  private fail(message: string): void {
    this.state.failures += 1;
    let lead = message;
    if (this.state.failures >= HELP_AFTER_FAILURES) {
      const pos = this.state.position;
      const q = pos?.at === 'question' ? (locate(this.flow, pos.id)?.q as AnswerQuestion | undefined) : undefined;
      lead += `\n${this.te(q && !this.isRequired(q, this.groupItem(pos)) ? 'help_after_failures_skip' : 'help_after_failures')}`;
    }
    this.ask(lead);
  }

  private remember(pos: Position): void {
    this.state.history.push(pos);
    if (this.state.history.length > MAX_HISTORY) this.state.history.splice(0, this.state.history.length - MAX_HISTORY);
  }

  private back(): void {
    const history = this.state.history;
    while (history.length > 0) {
      const pos = history.pop()!;
      if (this.canReturnTo(pos)) {
        this.moveTo(pos);
        this.ask();
        return;
      }
    }
    this.ask(this.te('back_none'));
  }

  /** A remembered position may have left the path since (skip logic, a shorter group). */
  /** A secret checked against an answer that changed (a code for another role) must be typed again. */
  private dropSecretsChecked(id: string): void {
    const uses = new RegExp(`\\banswers\\.${id}\\b`);
    for (const q of this.flow.questions) {
      if (q.type === 'text' && q.keepAs && q.id !== id && q.constraint && uses.test(q.constraint.source)) {
        delete this.state.answers[q.id];
        if (this.state.parked) delete this.state.parked[q.id];
      }
    }
  }

  private canReturnTo(pos: Position): boolean {
    if (pos.at === 'summary' || pos.at === 'change') return true;
    if (pos.at === 'more') {
      const list = this.state.answers[pos.group];
      return Array.isArray(list) && list.length > pos.index;
    }
    const loc = locate(this.flow, pos.id);
    if (!loc || loc.q.type === 'group' || loc.q.type === 'note') return false;
    if (loc.group) {
      if (!pos.group || !this.relevant(loc.group)) return false;
      const item = this.groupItem(pos);
      return item !== undefined && this.relevant(loc.q, item);
    }
    return !this.state.preset?.includes(pos.id) && this.relevant(loc.q) && !this.onlyOther(loc.q);
  }

  // ---- ending ----

  private submit(): void {
    fillEnd(this.flow.questions, this.state.answers, this.ctx.now);
    this.effects.push({
      type: 'submit',
      flowId: this.flow.id,
      flowVersion: this.flow.version,
      ...submitted(this.flow, this.state, (q, v) => this.display(q, v)),
    });
    this.finish('submitted', this.flow.thanks ? this.tf(this.flow.thanks) : undefined);
  }

  /** Ends the run. Answers leave the run state: a submit carries them, a decline keeps nothing. */
  finish(outcome: 'submitted' | 'declined' | 'cancelled', text?: string): void {
    if (text) this.say(text);
    Object.assign(this.state, { status: 'done', outcome, position: null, answers: {}, history: [], failures: 0 });
    delete this.state.selected;
    delete this.state.editing;
    delete this.state.parked;
    delete this.state.skipped;
    delete this.state.auto;
    this.effects.push({ type: 'ended', outcome });
  }

  /**
   * The flow file changed since this run started: keep what still fits, and if the current
   * position is gone, continue with the first unanswered question. Returns true when it moved.
   */
  migrate(): boolean {
    if (this.state.flowVersion === this.flow.version) return false;
    this.state.flowVersion = this.flow.version;
    for (const id of Object.keys(this.state.answers)) {
      const loc = locate(this.flow, id);
      if (!loc || loc.group) delete this.state.answers[id];
    }
    this.state.history = this.state.history.filter((p) => this.positionExists(p));
    if (this.state.position && this.positionExists(this.state.position)) return false;
    this.state.editing = true;
    this.forward({ kind: 'top', index: 0 });
    return true;
  }

  private positionExists(pos: Position): boolean {
    if (pos.at === 'summary' || pos.at === 'change') return true;
    if (pos.at === 'more') return locate(this.flow, pos.group)?.q.type === 'group';
    const loc = locate(this.flow, pos.id);
    if (!loc || loc.q.type === 'group' || loc.q.type === 'note') return false;
    return Boolean(loc.group) === Boolean(pos.group) && (!pos.group || loc.group?.id === pos.group.id);
  }
}

/** Defines `key` on `target` as computed on first read, then kept. */
function lazy<T extends object>(target: T, key: string, make: () => unknown): void {
  Object.defineProperty(target, key, {
    configurable: true,
    enumerable: false,
    get() {
      const value = make();
      Object.defineProperty(target, key, { value, enumerable: false });
      return value;
    },
  });
}

/** Choices for the structured prompt: a village's kecamatan as its description. */
function described(choices: ChoiceOption[], items: ChoiceItem[]): PromptStructure['choices'] {
  const byId = new Map(items.map((i) => [i.id, i.description]));
  return choices.map((c) => {
    const description = byId.get(c.id);
    return description ? { ...c, description } : { ...c };
  });
}

function toOption(item: ChoiceItem): ChoiceOption {
  return { id: item.id, label: item.label };
}

function pickItem(input: InboundContent, items: ChoiceItem[]): ChoiceItem | undefined {
  if (input.kind === 'choice') return items.find((i) => i.id === input.choiceId);
  if (input.kind === 'text') return matchChoice(input.text, items);
  return undefined;
}

/** Questions a voice note answers: `audio`, and text questions marked `voice`. */
function acceptsVoice(q: AnswerQuestion): boolean {
  return q.type === 'audio' || (q.type === 'text' && q.voice === true);
}
