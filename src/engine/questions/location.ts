import type { LocationAnswer, LocationQuestion } from '../types.js';
import { fail, ok, type QuestionHandler } from './types.js';

/**
 * A shared location (a point from the phone's GPS). A place's name is a text question of its
 * own, asked before it, so the place is never asked twice; without GPS the person skips.
 */
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
    return fail(env.te('error.location'));
  },
  // A review says the point arrived, not its coordinates (the workspace's map shows where);
  // answers from before (a typed name) still show.
  display(_q, value, env) {
    const v = value as Partial<{ latitude: number; longitude: number; name: string }>;
    if (typeof v.latitude === 'number' && typeof v.longitude === 'number') {
      return v.name ? `${v.name} ✓` : env.te('summary.location');
    }
    return v.name ?? '';
  },
};
