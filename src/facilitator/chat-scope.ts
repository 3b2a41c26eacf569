/**
 * What the `jadwal` and `siaran` flows offer a facilitator and what their review says: only the
 * villages the facilitator works in (villagesOf, the rule the workspace uses too), and under the
 * answers the villages and the number of people that one KIRIM reaches.
 */
import { listVillageChoices } from '../db/repositories/villages.js';
import { FLOW } from '../messages/flows.js';
import { isSimulatorPerson } from '../vocabulary.js';
import type { FlowScope, MemberSnapshot } from '../conversation/extensions.js';
import type { Translate } from '../i18n.js';
import { formatClock, isQuiet, nextAllowed } from '../time/index.js';
import type { FacilitatorDeps } from './deps.js';
import { audienceCounter, villagesOf, type AudienceCount } from './recipients.js';

const CHANNEL_LABELS: Record<string, string> = { telegram: 'Telegram', whatsapp: 'WhatsApp', web: 'Web' };

export const isStaff = (m: { role: string }) => m.role === 'fasilitator' || m.role === 'admin';

interface VillagePlace {
  code: string;
  name: string;
  kecamatan: string;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

/** The scope answer of either flow: jadwal asks `scope` (kecamatan | desa), siaran `target` (semua | kecamatan | desa | peran). */
export function scopeAnswer(flowId: string, answers: Record<string, unknown>): string {
  const raw = String((flowId === FLOW.workshop ? answers.scope : answers.target) ?? '');
  return raw === 'peran' ? 'semua' : raw;
}

/** The villages an answer set names (kecamatan, one by one, or all), within the facilitator's own. */
export function villagesChosen(answers: Record<string, unknown>, scope: string, mine: VillagePlace[]): string[] {
  let chosen: VillagePlace[];
  if (scope === 'kecamatan') {
    const kecamatan = new Set(list(answers.kecamatan));
    chosen = mine.filter((v) => kecamatan.has(v.kecamatan));
  } else if (scope === 'desa') {
    const codes = new Set(list(answers.villages));
    chosen = mine.filter((v) => codes.has(v.code));
  } else {
    chosen = mine;
  }
  return chosen.map((v) => v.code).sort();
}

/** The facilitator's villages with their names and kecamatan. */
export async function placesOf(member: MemberSnapshot): Promise<VillagePlace[]> {
  const mine = new Set(await villagesOf(member));
  return (await listVillageChoices()).filter((v) => mine.has(v.code));
}

export function audienceLine(a: AudienceCount, t: Translate, simulatorOnly: boolean): string {
  const byChannel = Object.entries(a.byChannel).sort().map(([c, n]) => `${CHANNEL_LABELS[c] ?? c} ${n}`).join(', ');
  const lines = [t('broadcast:preview.recipients', { count: a.reachable, channels: byChannel || '-' })];
  if (simulatorOnly) lines.push(t('broadcast:preview.simulatorOnly'));
  if (a.optedOut + a.blocked + a.noConsent > 0) {
    lines.push(t('broadcast:preview.excluded', { optedOut: a.optedOut, blocked: a.blocked, noConsent: a.noConsent }));
  }
  return lines.join('\n');
}

/** jadwal and siaran offer only the facilitator's villages; their review counts who one KIRIM reaches. */
export async function facilitatorFlowScope(deps: FacilitatorDeps, member: MemberSnapshot, flowId: string, t: Translate, now: Date): Promise<FlowScope | undefined> {
  if ((flowId !== FLOW.workshop && flowId !== FLOW.broadcast) || !isStaff(member)) return undefined;
  const places = await placesOf(member);
  const simulatorOnly = isSimulatorPerson(member);
  const count = await audienceCounter(places.map((v) => v.code), simulatorOnly);
  const names = new Map(places.map((v) => [v.code, v.name]));
  const reviewNote = (answers: Record<string, unknown>): string => {
    const scope = scopeAnswer(flowId, answers);
    const codes = villagesChosen(answers, scope, places);
    const roles = flowId === FLOW.broadcast && answers.target === 'peran' ? list(answers.roles) : [];
    const lines: string[] = [];
    // One by one, the answers above name the villages already.
    if (scope !== 'desa') lines.push(t('broadcast:review.villages', { villages: codes.map((c) => names.get(c) ?? c).sort().join(', ') || '-' }));
    lines.push(audienceLine(count(codes, roles), t, simulatorOnly));
    if (flowId === FLOW.broadcast && isQuiet(now, deps.quietHours, deps.timeZone)) {
      lines.push(t('broadcast:preview.quiet', { time: formatClock(nextAllowed(now, deps.quietHours, deps.timeZone), member.language, deps.timeZone) }));
    }
    lines.push(t(flowId === FLOW.workshop ? 'broadcast:review.announceAtOnce' : 'broadcast:review.sendAtOnce'));
    return lines.join('\n');
  };
  return { villageCodes: places.map((v) => v.code), reviewNote };
}
