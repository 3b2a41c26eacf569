/** The flow engine's public surface. */
export { loadFlows, parseFlow, FlowLoadError } from './loader.js';
export { startRun, step, repromptRun, cancelRun, canStart, SKIP_ID, SKIP_UNKNOWN_ID, SKIP_NONE_ID, SEND_ID, CHANGE_ID } from './engine.js';
export { DONE_ID } from './questions/multi.js';
export { YES_ID, NO_ID } from './questions/yesno.js';
export { usedTranslationKeys, translationKeyUses, ENGINE_TRANSLATION_KEYS, ENGINE_NAMESPACE, type KeyUse } from './keys.js';
export { normalizeCommandWord, normalizeForMatch, parseYesNo, SKIP_WORDS, BACK_WORDS } from './text.js';
export { parseDateInput, readDate, localDate, formatDate } from './dates.js';
export { parseLocalNumber } from './numbers.js';
export { matchChoice, OTHER_ID, type ChoiceItem } from './choices.js';
export type {
  Flow,
  Question,
  QuestionType,
  LeafQuestion,
  AnswerQuestion,
  GroupQuestion,
  Role,
  ChoiceSource,
  Position,
  RunState,
  EngineInput,
  StepContext,
  StepResult,
  Effect,
  VillageRecord,
  LocationAnswer,
  PhotoAnswer,
  SkipReason,
} from './types.js';
export { ROLES, CHOICE_SOURCES } from './types.js';
