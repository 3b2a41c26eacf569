/**
 * Filling a form for a resident who can't type, in chat (the isi-untuk-warga flow): its
 * submission keeps the consent given aloud, then the chosen form starts at once on the
 * resident's behalf. A chat extension, so the conversation core names no flow of its own.
 */
import type { ChatExtensions } from '../conversation/extensions.js';
import { FLOW } from '../messages/flows.js';

export function proxyHandOffExtension(flows: ReadonlyMap<string, unknown>): ChatExtensions {
  return {
    handOff: (ctx, submission) => {
      if (submission.flowId !== FLOW.proxy) return undefined;
      const a = submission.answers;
      if (typeof a.form !== 'string' || !flows.has(a.form) || a.consent_aloud !== true || typeof a.resident_name !== 'string' || typeof a.village !== 'string') return null;
      return { flowId: a.form, proxy: { forName: a.resident_name, villageCode: a.village, consentAloud: true, consentAt: ctx.now } };
    },
  };
}
