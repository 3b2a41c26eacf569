/** One module per question type; `note` has none because it waits for nothing. */
import type { AnswerQuestion } from '../types.js';
import { dateQuestion } from './date.js';
import { dateTimeQuestion } from './datetime.js';
import { locationQuestion } from './location.js';
import { multiQuestion } from './multi.js';
import { numberQuestion } from './number.js';
import { photoQuestion } from './photo.js';
import { audioQuestion } from './voice.js';
import { singleQuestion } from './single.js';
import { textQuestion } from './text.js';
import { timeQuestion } from './time.js';
import type { QuestionHandler } from './types.js';
import { yesNoQuestion } from './yesno.js';

type HandlerMap = { [T in AnswerQuestion['type']]: QuestionHandler<Extract<AnswerQuestion, { type: T }>> };

const HANDLERS: HandlerMap = {
  text: textQuestion,
  integer: numberQuestion,
  decimal: numberQuestion,
  single: singleQuestion,
  multi: multiQuestion,
  yesno: yesNoQuestion,
  date: dateQuestion,
  datetime: dateTimeQuestion,
  time: timeQuestion,
  location: locationQuestion,
  photo: photoQuestion,
  audio: audioQuestion,
};

export function handlerFor<Q extends AnswerQuestion>(q: Q): QuestionHandler<Q> {
  return HANDLERS[q.type] as unknown as QuestionHandler<Q>;
}

export type { QuestionEnv, QuestionHandler, ParseResult, Rendered } from './types.js';
