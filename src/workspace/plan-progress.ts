/**
 * Activity progress reported in chat (the kemajuan-kegiatan flow) updates the village plan:
 * a chat extension, so the conversation core names no flow of its own. Idempotent ($set of the
 * reported values), since a replayed step may run it twice.
 */
import type { ChatExtensions } from '../conversation/extensions.js';
import { setActivityProgress } from '../db/repositories/plans.js';
import { isSimulatorPerson } from '../vocabulary.js';
import { FLOW } from '../messages/flows.js';

export function planProgressExtension(): ChatExtensions {
  return {
    async onSubmit(ctx, submission) {
      const a = submission.answers;
      const villageCode = ctx.member.villageCode;
      // Progress from the chat simulator's people stays their submission: it never moves a real plan.
      if (submission.flowId !== FLOW.activityProgress || !villageCode || typeof a.activity !== 'string' || isSimulatorPerson(ctx.member)) return;
      // An activity named in the person's own words is matched to the plan by a facilitator later.
      if (!/^[0-9a-f]{24}$/i.test(a.activity)) return;
      await setActivityProgress(villageCode, a.activity, {
        ...(typeof a.status === 'string' ? { status: a.status } : {}),
        ...(typeof a.percent === 'number' ? { percentDone: a.percent } : a.status === 'selesai' ? { percentDone: 100 } : {}),
      }, ctx.now);
    },
  };
}
