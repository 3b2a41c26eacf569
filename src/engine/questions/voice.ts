/**
 * Voice notes as answers: the `audio` question, and text questions with `voice: true`.
 * The limits are checked here, from what the platform said, so the person hears them in words.
 */
import { VOICE_LIMITS, type InboundContent } from '../../messages/index.js';
import type { AudioQuestion, VoiceAnswer } from '../types.js';
import { fail, ok, type ParseResult, type QuestionEnv, type QuestionHandler } from './types.js';

type AudioInput = Extract<InboundContent, { kind: 'audio' }>;

/** "0:23", "4:05". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The voice note as an answer, or why it is refused (too long, too large). */
export function parseVoice(input: AudioInput, env: QuestionEnv): ParseResult {
  const minutes = VOICE_LIMITS.seconds / 60;
  if (input.seconds !== undefined && input.seconds > VOICE_LIMITS.seconds) {
    return fail(env.te('error.voice_too_long', { length: formatDuration(input.seconds), minutes }));
  }
  if (input.bytes !== undefined && input.bytes > VOICE_LIMITS.bytes) {
    return fail(env.te('error.voice_too_large', { megabytes: VOICE_LIMITS.bytes / (1024 * 1024), minutes }));
  }
  const value: VoiceAnswer = {
    kind: 'voice',
    fileId: input.fileId,
    ...(input.mediaId ? { mediaId: input.mediaId } : {}),
    ...(input.seconds !== undefined ? { seconds: input.seconds } : {}),
    ...(input.mimeType ? { mimeType: input.mimeType } : {}),
  };
  return ok(value);
}

/** "Pesan suara 0:23 ✓" (the length when it is known). */
export function displayVoice(value: VoiceAnswer, env: Pick<QuestionEnv, 'te'>): string {
  return value.seconds !== undefined ? env.te('summary.voice_length', { length: formatDuration(value.seconds) }) : env.te('summary.voice');
}

export const audioQuestion: QuestionHandler<AudioQuestion> = {
  render(_q, env) {
    return { lines: [env.te('hint.audio', { minutes: VOICE_LIMITS.seconds / 60 })], expect: 'text' };
  },
  parse(_q, input, env) {
    return input.kind === 'audio' ? parseVoice(input, env) : fail(env.te('error.audio'));
  },
  display(_q, value, env) {
    return displayVoice(value as VoiceAnswer, env);
  },
};
