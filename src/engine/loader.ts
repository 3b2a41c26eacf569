/**
 * Reads flow YAML, validates it (zod for shape, then cross-field and expression checks) and
 * compiles it into a Flow. Every problem is collected and reported as "file: question: problem".
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { compileExpression, type CompiledExpr, type ExprRules } from './expressions.js';
import { flowHeaderSchema, groupSchema, LEAF_TYPES, leafSchemas, type LeafType, type RawGroup, type RawLeaf } from './schema.js';
import type { ChoiceDef, Flow, GroupQuestion, LeafQuestion, Question } from './types.js';
import { isCalendarDay } from '../time/calendar.js';

export class FlowLoadError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid flows:\n${problems.join('\n')}`);
    this.name = 'FlowLoadError';
  }
}

const FLOW = '(flow)';

/** Loads and validates every *.yaml / *.yml file in `dir`. Throws FlowLoadError listing every problem. */
export async function loadFlows(dir: string): Promise<Map<string, Flow>> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const flows = new Map<string, Flow>();
  const problems: string[] = [];
  for (const file of files) {
    const text = await readFile(path.join(dir, file), 'utf8');
    try {
      const flow = parseFlow(text, file);
      flows.set(flow.id, flow);
    } catch (err) {
      if (err instanceof FlowLoadError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new FlowLoadError(problems);
  return flows;
}

/** Validates and compiles one flow file. Throws FlowLoadError listing every problem. */
export function parseFlow(yamlText: string, fileName: string): Flow {
  const problems: string[] = [];
  const report = (question: string, message: string): void => {
    problems.push(`${fileName}: ${question}: ${message}`);
  };

  const doc = parseDocument(yamlText);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) report(FLOW, `YAML: ${e.message.split('\n')[0]}`);
    throw new FlowLoadError(problems);
  }
  const raw: unknown = doc.toJS();
  const header = flowHeaderSchema.safeParse(raw);
  if (!header.success) {
    // Question problems are reported below, one by one; here only the header's own.
    for (const issue of header.error.issues) {
      if (issue.path[0] === 'questions' && issue.path.length > 1) continue;
      report(FLOW, formatIssue(issue));
    }
  }
  const rawObj = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const baseName = fileName.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/, '');
  // An archived version, flows/versions/<id>/v<N>.yaml, names its flow by its folder.
  const archived = /(?:^|[\\/])versions[\\/]([^\\/]+)[\\/]v(\d+)\.ya?ml$/.exec(fileName);
  if (archived && rawObj.version !== Number(archived[2])) report(FLOW, `version ${String(rawObj.version)} must equal the file name's ${archived[2]}`);
  if (archived && typeof rawObj.id === 'string' && rawObj.id !== archived[1]) {
    report(FLOW, `id "${rawObj.id}" must equal the folder name "${archived[1]}"`);
  } else if (!archived && typeof rawObj.id === 'string' && rawObj.id !== baseName) {
    report(FLOW, `id "${rawObj.id}" must equal the file name "${baseName}"`);
  }

  const rawQuestions = Array.isArray(rawObj.questions) ? rawObj.questions : [];
  const seenIds = new Set<string>();
  const answerIdsSoFar = new Set<string>();
  const questions: Question[] = [];

  rawQuestions.forEach((rawQ, i) => {
    const where = questionName(rawQ, `#${i + 1}`);
    if (typeof where === 'string' && seenIds.has(where)) report(where, 'duplicate question id');
    const type = typeOf(rawQ);
    if (type === 'group') {
      const parsed = groupSchema.safeParse(rawQ);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) report(where, formatIssue(issue));
        return;
      }
      const group = compileGroup(parsed.data, answerIdsSoFar, seenIds, report);
      if (group) questions.push(group);
      seenIds.add(parsed.data.id);
      answerIdsSoFar.add(parsed.data.id);
      return;
    }
    const leaf = parseLeaf(rawQ, where, report);
    if (!leaf) return;
    seenIds.add(leaf.id);
    const q = compileLeaf(leaf, { answerIds: answerIdsSoFar }, report, leaf.id);
    if (q) questions.push(q);
    if (leaf.type !== 'note') answerIdsSoFar.add(leaf.id);
  });

  if (problems.length > 0 || !header.success) throw new FlowLoadError(problems);
  const h = header.data;
  return {
    id: h.id,
    version: h.version,
    namespace: h.namespace ?? h.id,
    title: h.title ?? 'title',
    description: h.description ?? 'description',
    thanks: h.thanks === false ? null : (h.thanks ?? 'thanks'),
    ...(h.privacy ? { privacy: h.privacy } : {}),
    roles: h.roles,
    questions,
    fileName,
  };
}

type Report = (question: string, message: string) => void;

function questionName(rawQ: unknown, fallback: string): string {
  if (rawQ && typeof rawQ === 'object' && typeof (rawQ as { id?: unknown }).id === 'string') return (rawQ as { id: string }).id;
  return fallback;
}

function typeOf(rawQ: unknown): unknown {
  return rawQ && typeof rawQ === 'object' ? (rawQ as { type?: unknown }).type : undefined;
}

function parseLeaf(rawQ: unknown, where: string, report: Report): RawLeaf | undefined {
  if (!rawQ || typeof rawQ !== 'object' || Array.isArray(rawQ)) {
    report(where, 'a question must be a mapping with id and type');
    return undefined;
  }
  const type = typeOf(rawQ);
  if (typeof type !== 'string' || !(LEAF_TYPES as string[]).includes(type)) {
    report(where, `unknown type ${JSON.stringify(type)} (use one of: ${[...LEAF_TYPES, 'group'].join(', ')})`);
    return undefined;
  }
  const parsed = leafSchemas[type as LeafType].safeParse(rawQ);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) report(where, formatIssue(issue));
    return undefined;
  }
  return parsed.data;
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const at = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${at}${issue.message}`;
}

interface Scope {
  /** Top-level answer ids defined before this question. */
  answerIds: Set<string>;
  /** Inside a group: the group's children defined before this one. */
  groupIds?: Set<string>;
}

function compileLeaf(raw: RawLeaf, scope: Scope, report: Report, where: string): LeafQuestion | undefined {
  let ok = true;
  const problem = (m: string): void => {
    ok = false;
    report(where, m);
  };
  const inGroup = scope.groupIds !== undefined;
  const rules = (roots: string[], includeSelf: boolean): ExprRules => {
    const self = includeSelf && !inGroup ? [raw.id] : [];
    const selfInGroup = includeSelf && inGroup ? [raw.id] : [];
    return {
      roots: inGroup ? [...roots, 'group'] : roots,
      answerIds: new Set([...scope.answerIds, ...self]),
      groupIds: inGroup ? new Set([...(scope.groupIds ?? []), ...selfInGroup]) : undefined,
    };
  };
  const expr = (field: string, source: string | undefined, r: ExprRules): CompiledExpr | undefined => {
    if (source === undefined) return undefined;
    const { compiled, problems } = compileExpression(source, r);
    for (const p of problems) problem(`${field}: ${p}`);
    return compiled;
  };

  const relevant = expr('relevant', 'relevant' in raw ? raw.relevant : undefined, rules(['answers'], false));
  const prompt = ('prompt' in raw ? raw.prompt : undefined) ?? `${raw.id}.prompt`;
  const image = 'image' in raw && raw.image !== undefined ? { image: raw.image } : {};
  if (raw.type === 'note') return ok ? { id: raw.id, type: 'note', prompt, label: `${raw.id}.label`, relevant, ...image } : undefined;
  if (raw.type === 'calculate') {
    const calculation = expr('calculation', raw.calculation, rules(['answers'], false));
    return ok && calculation ? { id: raw.id, type: 'calculate', prompt, label: `${raw.id}.label`, relevant, calculation } : undefined;
  }
  if (raw.type === 'meta') return ok ? { id: raw.id, type: 'meta', prompt, label: `${raw.id}.label`, meta: raw.meta } : undefined;

  const constraint = expr('constraint', raw.constraint, rules(['answers', 'value'], true));
  const requiredIf = typeof raw.required === 'string' ? expr('required', raw.required, rules(['answers'], false)) : undefined;
  const defaultFrom = expr('defaultFrom', raw.defaultFrom, rules(['answers'], false));
  if (raw.default !== undefined && raw.defaultFrom !== undefined) problem('give default or defaultFrom, not both');
  const endIf = expr('endIf', raw.endIf, rules(['answers', 'value'], true));
  if (raw.constraint !== undefined && raw.constraintMessage === undefined) problem('constraint needs a constraintMessage key');
  if (raw.constraint === undefined && raw.constraintMessage !== undefined) problem('constraintMessage without a constraint');
  if (raw.endIf !== undefined && raw.endMessage === undefined) problem('endIf needs an endMessage key');
  if (raw.endIf === undefined && raw.endMessage !== undefined) problem('endMessage without an endIf');

  const common = {
    id: raw.id,
    prompt,
    label: raw.label ?? `${raw.id}.label`,
    relevant,
    required: typeof raw.required === 'boolean' ? raw.required : raw.required === undefined && raw.type !== 'photo' && raw.type !== 'audio',
    ...(requiredIf ? { requiredIf } : {}),
    ...(defaultFrom ? { defaultFrom } : {}),
    ...image,
    constraint,
    constraintMessage: raw.constraintMessage,
    endIf,
    endMessage: raw.endMessage,
    hint: raw.hint,
    requiredMessage: raw.requiredMessage,
    default: raw.default,
    ...(raw.skipReasons ? { skipReasons: true } : {}),
  };

  let q: LeafQuestion;
  switch (raw.type) {
    case 'text':
      if (raw.keepAs !== undefined && raw.constraint === undefined) problem('keepAs needs a constraint that returns what to keep');
      if (raw.keepAs !== undefined && raw.voice) problem('a secret (keepAs) cannot be said in a voice note');
      q = { ...common, type: 'text', maxLength: raw.maxLength ?? 500, ...(raw.keepAs ? { keepAs: raw.keepAs } : {}), ...(raw.voice ? { voice: true } : {}) };
      break;
    case 'integer':
    case 'decimal':
      if (raw.min !== undefined && raw.max !== undefined && raw.min > raw.max) problem(`min ${raw.min} is above max ${raw.max}`);
      q = { ...common, type: raw.type, min: raw.min, max: raw.max };
      break;
    case 'single':
    case 'multi': {
      const choices = checkChoices(raw, problem);
      const filter = expr('filter', raw.filter, rules(['answers', 'item'], false));
      const seed = raw.seed === undefined ? undefined : expr('seed', String(raw.seed), rules(['answers'], false));
      if (raw.seed !== undefined && !raw.randomize) problem('seed without randomize: true');
      const order = raw.randomize ? { randomize: true, ...(seed ? { seed } : {}) } : {};
      if (raw.type === 'single') {
        q = { ...common, type: 'single', choices, choicesFrom: raw.choicesFrom, filter, unknownMessage: raw.unknownMessage, ...order };
      } else {
        const minSelected = raw.minSelected ?? 1;
        if (raw.maxSelected !== undefined && raw.maxSelected < minSelected) problem(`maxSelected ${raw.maxSelected} is below minSelected ${minSelected}`);
        if (choices && minSelected > choices.length) problem(`minSelected ${minSelected} is more than the ${choices.length} choices`);
        q = { ...common, type: 'multi', choices, choicesFrom: raw.choicesFrom, filter, minSelected, maxSelected: raw.maxSelected, ...order };
      }
      break;
    }
    case 'date':
      if (raw.min !== undefined && !isCalendarDay(raw.min)) problem(`min "${raw.min}" is not a real date`);
      if (raw.max !== undefined && !isCalendarDay(raw.max)) problem(`max "${raw.max}" is not a real date`);
      if (raw.min !== undefined && raw.max !== undefined && raw.min > raw.max) problem(`min ${raw.min} is after max ${raw.max}`);
      q = { ...common, type: 'date', notFuture: raw.notFuture ?? false, ...(raw.notPast ? { notPast: true } : {}), min: raw.min, max: raw.max };
      break;
    case 'yesno':
    case 'datetime':
    case 'time':
    case 'location':
    case 'photo':
    case 'audio':
      q = { ...common, type: raw.type };
      break;
  }
  return ok ? q : undefined;
}

function checkChoices(
  raw: Extract<RawLeaf, { type: 'single' | 'multi' }>,
  problem: (m: string) => void,
): ChoiceDef[] | undefined {
  if (raw.choices === undefined && raw.choicesFrom === undefined) problem('give choices or choicesFrom');
  // Both: the data list first, then these (e.g. __other__, "not in the list").
  if (!raw.choices) return undefined;
  const seen = new Set<string>();
  for (const c of raw.choices) {
    // The same id twice is allowed when the second says its own text (XLSForm allow_choice_duplicates:
    // "king" of Washington and "king" of Texas, told apart by a filter).
    if (seen.has(c.id) && c.label === undefined) problem(`duplicate choice id "${c.id}"`);
    seen.add(c.id);
  }
  return raw.choices.map((c) => ({ id: c.id, label: c.label ?? `${raw.id}.choices.${c.id}`, ...(c.data ? { data: c.data } : {}) }));
}

function compileGroup(raw: RawGroup, answerIdsBefore: Set<string>, seenIds: Set<string>, report: Report): GroupQuestion | undefined {
  let ok = true;
  const { compiled: relevant, problems } = raw.relevant
    ? compileExpression(raw.relevant, { roots: ['answers'], answerIds: answerIdsBefore })
    : { compiled: undefined, problems: [] };
  for (const p of problems) {
    ok = false;
    report(raw.id, `relevant: ${p}`);
  }
  let repeatCount: CompiledExpr | undefined;
  if (raw.repeatCount !== undefined) {
    const count = compileExpression(String(raw.repeatCount), { roots: ['answers'], answerIds: answerIdsBefore });
    for (const p of count.problems) {
      ok = false;
      report(raw.id, `repeatCount: ${p}`);
    }
    repeatCount = count.compiled;
  }
  const groupIds = new Set<string>();
  const children: LeafQuestion[] = [];
  raw.questions.forEach((rawChild, j) => {
    const where = `${raw.id}.${questionName(rawChild, `#${j + 1}`)}`;
    if (typeOf(rawChild) === 'group') {
      ok = false;
      report(where, 'groups cannot be nested');
      return;
    }
    const leaf = parseLeaf(rawChild, where, report);
    if (!leaf) {
      ok = false;
      return;
    }
    if (seenIds.has(leaf.id) || leaf.id === raw.id) {
      ok = false;
      report(where, 'duplicate question id (ids are unique across the whole flow)');
    }
    seenIds.add(leaf.id);
    // A child may read its own repeat (count(answers.<group>), indexedRepeat(answers.<group>, ...)).
    const child = compileLeaf(leaf, { answerIds: new Set([...answerIdsBefore, raw.id]), groupIds: new Set(groupIds) }, report, where);
    if (!child) {
      ok = false;
      return;
    }
    children.push(child);
    if (child.type !== 'note') groupIds.add(child.id);
  });
  if (!ok) return undefined;
  return {
    id: raw.id,
    type: 'group',
    prompt: raw.prompt ?? `${raw.id}.prompt`,
    label: raw.label ?? `${raw.id}.label`,
    relevant,
    repeat: true,
    maxRepeats: raw.maxRepeats ?? 10,
    ...(repeatCount ? { repeatCount } : {}),
    addAnother: raw.addAnother ?? `${raw.id}.add_another`,
    questions: children,
  };
}

