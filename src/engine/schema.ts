/**
 * The YAML shape of a flow file, checked with zod (unknown keys are errors).
 * Each question type has its own strict schema so messages name the exact field.
 */
import { z } from 'zod';
import { CHOICE_SOURCES, META_NAMES, ROLES } from './types.js';

/** i18n keys: dotted words, no namespace (the flow's namespace is implied). */
const key = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be an i18n key like "name.prompt" (letters, digits, _, - and dots)');
/** Names every object has ("constructor", "toString"...): as answer keys they would be there before any answer. */
const PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));
const notPrototypeName = (id: string) => !PROTOTYPE_NAMES.has(id);
const PROTOTYPE_NAME_MESSAGE = 'must not be a name every object has (constructor, toString, valueOf...)';
/**
 * Question ids are answer keys and are read in expressions: answers.<id>, or answers['<id>'] for
 * a name with a dash (XLSForm allows "label-test").
 */
export const questionId = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'must start with a letter or _ and use only letters, 0-9, _ and -')
  .refine(notPrototypeName, PROTOTYPE_NAME_MESSAGE);
// Any text without spaces around it (XLSForm select_one names may hold spaces); __other__ is the
// one reserved id: "another, not in the list" beside choicesFrom (see OTHER_ID).
const choiceId = z.string().max(200).regex(/^\S(?:.*\S)?$/, 'must not be empty or start or end with a space');
const expression = z.string().min(1);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2024-09-17');

const base = {
  id: questionId,
  prompt: key.optional(),
  label: key.optional(),
  relevant: expression.optional(),
};
const answerable = {
  ...base,
  image: z.string().min(1).optional(),
  // true / false, or an expression: required when it holds.
  required: z.union([z.boolean(), expression]).optional(),
  constraint: expression.optional(),
  constraintMessage: key.optional(),
  endIf: expression.optional(),
  endMessage: key.optional(),
  hint: key.optional(),
  requiredMessage: key.optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  defaultFrom: expression.optional(),
  skipReasons: z.boolean().optional(),
};
const choiceList = z
  .array(z.strictObject({ id: choiceId, label: key.optional(), data: z.record(z.string(), z.union([z.string(), z.number()])).optional() }))
  .min(1);
const choiceFields = {
  choices: choiceList.optional(),
  choicesFrom: z.enum(CHOICE_SOURCES).optional(),
  filter: expression.optional(),
  randomize: z.boolean().optional(),
  seed: z.union([z.number().int(), expression]).optional(),
};

export const leafSchemas = {
  text: z.strictObject({
    ...answerable,
    type: z.literal('text'),
    maxLength: z.number().int().min(1).max(4000).optional(),
    keepAs: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be an answer key like roleCodeId').refine(notPrototypeName, PROTOTYPE_NAME_MESSAGE).optional(),
    voice: z.boolean().optional(),
  }),
  integer: z.strictObject({ ...answerable, type: z.literal('integer'), min: z.number().int().optional(), max: z.number().int().optional() }),
  decimal: z.strictObject({ ...answerable, type: z.literal('decimal'), min: z.number().optional(), max: z.number().optional() }),
  single: z.strictObject({ ...answerable, ...choiceFields, type: z.literal('single'), unknownMessage: key.optional() }),
  multi: z.strictObject({
    ...answerable,
    ...choiceFields,
    type: z.literal('multi'),
    minSelected: z.number().int().min(0).optional(),
    maxSelected: z.number().int().min(1).optional(),
  }),
  yesno: z.strictObject({ ...answerable, type: z.literal('yesno') }),
  date: z.strictObject({
    ...answerable,
    type: z.literal('date'),
    notFuture: z.boolean().optional(),
    /** A date to come (a workshop): HARI INI or BESOK offered, not KEMARIN; a past date refused. */
    notPast: z.boolean().optional(),
    min: isoDate.optional(),
    max: isoDate.optional(),
  }),
  datetime: z.strictObject({ ...answerable, type: z.literal('datetime') }),
  time: z.strictObject({ ...answerable, type: z.literal('time') }),
  location: z.strictObject({ ...answerable, type: z.literal('location') }),
  photo: z.strictObject({ ...answerable, type: z.literal('photo') }),
  audio: z.strictObject({ ...answerable, type: z.literal('audio') }),
  // A note has no answer, so no label, required, constraint or endIf.
  note: z.strictObject({ id: questionId, prompt: key.optional(), relevant: expression.optional(), image: z.string().min(1).optional(), type: z.literal('note') }),
  // Never asked (XLSForm calculate and metadata): no texts.
  calculate: z.strictObject({ id: questionId, relevant: expression.optional(), type: z.literal('calculate'), calculation: expression }),
  meta: z.strictObject({ id: questionId, type: z.literal('meta'), meta: z.enum(META_NAMES) }),
} as const;

export const groupSchema = z.strictObject({
  ...base,
  type: z.literal('group'),
  repeat: z.literal(true, { error: 'only repeat groups exist: set repeat: true' }),
  maxRepeats: z.number().int().min(1).max(50).optional(),
  addAnother: key.optional(),
  repeatCount: z.union([expression, z.number().int().min(0)]).optional(),
  // Children are checked one by one with the leaf schemas (better messages than a union).
  questions: z.array(z.unknown()).min(1),
});

export const flowHeaderSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must use only a-z, 0-9 and -'),
  version: z.number().int().min(1),
  title: key.optional(),
  description: key.optional(),
  /** false: no thank-you; the service's hook says what happened instead (a broadcast sent). */
  thanks: z.union([key, z.literal(false)]).optional(),
  /** Key of the full privacy notice, shown by the PRIVASI command (registration). */
  privacy: key.optional(),
  // "<id>@v<N>" for an archived version (flows/versions/<id>/v<N>.yaml).
  namespace: z.string().regex(/^[a-z0-9][a-z0-9-]*(@v[0-9]+)?$/).optional(),
  roles: z.array(z.enum(ROLES)).min(1),
  questions: z.array(z.unknown()).min(1),
});

export type LeafType = keyof typeof leafSchemas;
export const LEAF_TYPES = Object.keys(leafSchemas) as LeafType[];
export type RawLeaf = z.infer<(typeof leafSchemas)[LeafType]>;
export type RawGroup = z.infer<typeof groupSchema>;
