import type { LocationAnswer, LocationQuestion } from '../types.js';
import { fail, ok, type QuestionHandler } from './types.js';

const MAX_NAME = 200;

/** A shared location or, on phones without GPS, a typed place name. */
export const locationQuestion: QuestionHandler<LocationQuestion> = {
  render(_q, env) {
    return { lines: [env.te('hint.location')], expect: 'location' };
  },
  parse(_q, input, env) {
    if (input.kind === 'location') {
      const value: LocationAnswer = { latitude: input.latitude, longitude: input.longitude };
      if (input.name) value.name = input.name;
      return ok(value);
    }
    if (input.kind === 'text') {
      const name = input.text.trim();
      if (name === '') return fail(env.te('error.location'));
      if ([...name].length > MAX_NAME) return fail(env.te('error.text_too_long', { length: [...name].length, max: MAX_NAME }));
      return ok({ name } satisfies LocationAnswer);
    }
    return fail(env.te('error.location'));
  },
  display(_q, value) {
    const v = value as Partial<{ latitude: number; longitude: number; name: string }>;
    if (typeof v.latitude === 'number' && typeof v.longitude === 'number') {
      const coords = `${v.latitude.toFixed(5)}, ${v.longitude.toFixed(5)}`;
      return v.name ? `${v.name} (${coords})` : coords;
    }
    return v.name ?? '';
  },
};
