import type { PhotoAnswer, PhotoQuestion } from '../types.js';
import { fail, ok, type QuestionHandler } from './types.js';

const MAX_DESCRIPTION = 300;

/** A photo, or a short typed description for phones without a camera. */
export const photoQuestion: QuestionHandler<PhotoQuestion> = {
  render(_q, env) {
    return { lines: [env.te('hint.photo')], expect: 'photo' };
  },
  parse(_q, input, env) {
    if (input.kind === 'photo') {
      const value: PhotoAnswer = { fileId: input.fileId, ...(input.caption ? { caption: input.caption } : {}), ...(input.mediaId ? { mediaId: input.mediaId } : {}) };
      return ok(value);
    }
    if (input.kind === 'text') {
      const description = input.text.trim();
      if (description === '') return fail(env.te('error.photo'));
      const length = [...description].length;
      if (length > MAX_DESCRIPTION) return fail(env.te('error.text_too_long', { length, max: MAX_DESCRIPTION }));
      return ok({ description } satisfies PhotoAnswer);
    }
    return fail(env.te('error.photo'));
  },
  display(_q, value, env) {
    const v = value as Partial<{ fileId: string; caption: string; description: string }>;
    if (v.fileId) return v.caption ? `${env.te('summary.photo')}: ${v.caption}` : env.te('summary.photo');
    return v.description ?? '';
  },
};
