/**
 * Registration (the `daftar` flow) ending: the member's own fields change in the same update
 * as the run ends. A role above warga needs a code, used once here; access-code guessing is
 * limited per person per hour.
 */
import { Types } from 'mongoose';
import type { ActiveRun, MemberState } from '../db/repositories/members.js';
import type { Role } from '../vocabulary.js';
import type { ConversationKit } from './kit.js';
import { storeRunSubmission, type Submit } from './submissions.js';
import type { Turn } from './turn.js';

/** Wrong access codes checked per person per hour. */
export const CODE_FAILURES_PER_HOUR = 5;

export async function completeRegistration(kit: ConversationKit, turn: Turn, submit: Submit, run: ActiveRun): Promise<void> {
  const member = turn.member;
  const t = kit.t(member);
  const a = submit.answers;
  const now = kit.now();
  let role: Role = a.role === 'pokja' || a.role === 'fasilitator' ? (a.role as Role) : 'warga';
  let roleCodeId: Types.ObjectId | null = null;
  if (role !== 'warga') {
    // The flow keeps the granting code's id (keepAs: roleCodeId), never the code itself.
    const codeId = typeof a.roleCodeId === 'string' ? a.roleCodeId : null;
    roleCodeId = codeId && Types.ObjectId.isValid(codeId) ? await kit.consumeCode(codeId, member._id, role, a.village) : null;
    if (!roleCodeId) {
      // Used up or expired between the question and "kirim": registered as a resident, and told.
      turn.say({ text: t('bot:codes.usedUp', { role: t(`bot:roles.${role}`) }) });
      role = member.role === 'pokja' || member.role === 'fasilitator' || member.role === 'admin' ? member.role : 'warga';
      roleCodeId = member.roleCodeId ?? null;
    }
  } else if (member.role !== 'warga' && member.roleCodeId) {
    role = 'warga'; // choosing "warga" when correcting gives the higher role up
  }
  const village = typeof a.village === 'string' && a.village !== '__other__' ? a.village : null;
  const villageOther = typeof a.village_other === 'string' ? a.village_other : null;
  await storeRunSubmission(kit, turn, { ...turn.view, villageCode: village }, run, submit);
  turn.update({
    name: typeof a.name === 'string' ? a.name : null,
    villageCode: village,
    villageOther,
    role,
    roleCodeId,
    consent: member.consent && kit.isRegistered(member)
      ? member.consent
      : { version: `daftar v${submit.flowVersion}`, givenAt: now, guardianConsent: a.guardian_consent === true },
    registeredAt: member.registeredAt ?? now,
  });
}

/** Wrong codes counted within the hour that began with the first one. */
export function codeFailuresThisHour(member: MemberState, now: Date): number {
  const f = member.codeFailures;
  if (!f?.since || now.getTime() - new Date(f.since).getTime() >= 3600_000) return 0;
  return f.count;
}
