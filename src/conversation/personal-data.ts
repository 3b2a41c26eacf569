/**
 * Personal data (UU 27/2022): `datasaya` shows what is kept about the person, `hapusdata`
 * (after a yes) deletes it. Both requests are recorded without keeping who made them.
 */
import { recordAccessRequest, recordDeleteRequest } from '../db/repositories/requests.js';
import { countSubmissionsByFlow } from '../db/repositories/submissions.js';
import { memberVoiceNotes } from '../db/repositories/voice-notes.js';
import { formatDuration } from '../engine/questions/voice.js';
import { findVillage } from '../db/repositories/villages.js';
import type { Translate } from '../i18n.js';
import { FLOW } from '../messages/flows.js';
import type { OutboundMessage } from '../messages/index.js';
import { deleteMemberData } from '../privacy/retention.js';
import { formatLongDate } from '../time/index.js';
import { addressesOf } from '../db/repositories/members.js';
import type { ConversationKit } from './kit.js';
import { channelName } from './linking.js';
import type { Turn } from './turn.js';

export async function showMemberData(kit: ConversationKit, turn: Turn, t: Translate): Promise<OutboundMessage[]> {
  const member = turn.member;
  await recordAccessRequest(member.channel, member._id, kit.now());
  turn.wrote();
  if (!kit.isRegistered(member)) return [{ text: t('bot:mydata.none') }];
  const village = member.villageCode ? await findVillage(member.villageCode) : null;
  const counts = await countSubmissionsByFlow(member._id, FLOW.registration);
  const reports = counts.length ? counts.map((c) => `• ${kit.flowTitle(c.flowId, t)}: ${c.n}`).join('\n') : t('bot:mydata.noReports');
  const voices = await memberVoiceNotes(member._id);
  const voice = voices.length
    ? voices.map((v) => `• ${kit.flowTitle(v.flowId, t)}${v.seconds !== undefined ? ` (${formatDuration(v.seconds)})` : ''}`).join('\n')
    : t('bot:mydata.noReports');
  const text = t('bot:mydata.text', {
    name: member.name ?? '-',
    village: village ? `${village.name} (${village.kecamatan})` : member.villageOther ? `${member.villageOther} (${t('bot:mydata.villageUnmatched')})` : '-',
    role: t(`bot:roles.${member.role}`),
    language: t(`bot:languages.${member.language}`),
    accounts: t('bot:mydata.accounts', {
      accounts: [...new Set(addressesOf(member).map((a) => channelName(a.channel)))].join(', '),
      route: member.preferredChannel ? channelName(member.preferredChannel) : t('bot:mydata.routeLast'),
    }),
    consentDate: member.consent ? formatLongDate(member.consent.givenAt, kit.options.timeZone) : '-',
    broadcasts: member.optedOut ? t('bot:mydata.broadcastsOff') : t('bot:mydata.broadcastsOn'),
    news: member.optedOut || member.newsOff ? t('bot:mydata.newsOff') : t('bot:mydata.newsOn'),
    reports,
    voice,
    reregister: t('bot:menu.reregister'),
  });
  return [{ text }];
}

/** Deletes the member (after `hapusdata` was confirmed, or an unregistered person leaving). */
export async function deleteMember(kit: ConversationKit, turn: Turn): Promise<void> {
  const member = turn.member;
  // The reply to this very message ("deleted", "nothing kept") is already in the outbox: it must still go out.
  const keepOutboxIds = [`reply:${turn.message.channel}:${turn.message.messageId}`];
  if (turn.deleteMember === 'delete-request') {
    const request = await recordDeleteRequest(member.channel, kit.now());
    const result = await deleteMemberData(member, { keepReports: true, keepOutboxIds });
    await request.complete(result, kit.now());
    return;
  }
  await deleteMemberData(member, { keepReports: false, keepOutboxIds });
}
