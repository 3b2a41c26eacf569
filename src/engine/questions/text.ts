import { VOICE_LIMITS } from '../../messages/index.js';
import { isVoiceAnswer, type TextQuestion } from '../types.js';
import { fail, ok, type QuestionHandler } from './types.js';
import { displayVoice, parseVoice } from './voice.js';

// The limit is said only when an answer exceeds it: one instruction per prompt.
export const textQuestion: QuestionHandler<TextQuestion> = {
  render(q, env) {
    // Besides typing: a voice note, where the question takes one.
    const lines = q.voice ? [env.te('hint.voice_too', { minutes: VOICE_LIMITS.seconds / 60 })] : [];
    return { lines, expect: 'text' };
  },
  parse(q, input, env) {
    if (input.kind === 'audio' && q.voice) return parseVoice(input, env);
    if (input.kind !== 'text') return fail(env.te('error.text_expected'));
    const text = input.text.trim().replace(/[ \t]+/g, ' ');
    if (text === '') return fail(env.te('error.text_expected'));
    const length = [...text].length;
    if (length > q.maxLength) return fail(env.te('error.text_too_long', { length, max: q.maxLength }));
    return ok(text);
  },
  display(_q, value, env) {
    return isVoiceAnswer(value) ? displayVoice(value, env) : String(value);
  },
};
