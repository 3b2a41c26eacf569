/**
 * Wires the WhatsApp channel into a running service: the webhook on the express app, the outbound
 * side in the channel registry, photos into GridFS, the 24-hour window from the members' last
 * inbound time. Called by src/service.ts when WHATSAPP_ACCESS_TOKEN is set.
 */
import type express from 'express';
import type { ChannelRegistry } from '../channel.js';
import type { InboundSink } from '../../messages/index.js';
import type { Config } from '../../config/index.js';
import { findLastInboundAt } from '../../db/repositories/members.js';
import type { i18n as I18n } from 'i18next';
import { SUPPORTED_LANGUAGES } from '../../i18n.js';
import type { Logger } from '../../logging/logger.js';
import type { FlowMedia } from '../../media/flow-media.js';
import { MediaDownloader } from '../../media/store.js';
import { createWhatsAppChannel, mountWhatsAppWebhook, type WhatsAppChannel } from './channel.js';
import { createGraphClient, type GraphClient } from './graph.js';
import { createWhatsAppOutbound, type TemplateRef } from './outbound.js';
import type { WhatsAppTexts } from './render.js';

export interface WhatsAppSetup {
  channel: WhatsAppChannel;
  graph: GraphClient;
  media: MediaDownloader;
}

export function setUpWhatsApp(deps: {
  app: express.Application;
  config: Config;
  inbox: InboundSink;
  channels: ChannelRegistry;
  i18n: I18n;
  logger: Logger;
  media?: MediaDownloader;
  /** Questions' pictures, linked from the public route. */
  flowMedia?: FlowMedia;
  now?: () => Date;
}): WhatsAppSetup {
  const { config, logger } = deps;
  const graph = createGraphClient({ baseUrl: config.WHATSAPP_API_BASE_URL, apiVersion: config.WHATSAPP_API_VERSION, accessToken: config.WHATSAPP_ACCESS_TOKEN! });
  const media = deps.media ?? new MediaDownloader({ logger });
  const channel = createWhatsAppChannel({
    appSecret: config.WHATSAPP_APP_SECRET!,
    ...(config.WHATSAPP_VERIFY_TOKEN ? { verifyToken: config.WHATSAPP_VERIFY_TOKEN } : {}),
    phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID!,
    inbox: deps.inbox,
    graph,
    media,
    logger,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const templates: Record<string, TemplateRef | undefined> = {
    reminder: config.WHATSAPP_TEMPLATE_REMINDER,
    workshop: config.WHATSAPP_TEMPLATE_WORKSHOP,
    broadcast: config.WHATSAPP_TEMPLATE_BROADCAST,
    alert: config.WHATSAPP_TEMPLATE_ALERT,
    notice: config.WHATSAPP_TEMPLATE_NOTICE,
  };
  deps.channels.register(
    createWhatsAppOutbound({
      graph,
      phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID!,
      logger,
      templates: Object.fromEntries(Object.entries(templates).filter((e): e is [string, TemplateRef] => e[1] !== undefined)),
      textsByLanguage: Object.fromEntries(
        SUPPORTED_LANGUAGES.map((lang) => [
          lang,
          { ...(deps.i18n.getResourceBundle(lang, 'whatsapp') as Partial<WhatsAppTexts>), engineChooseHint: deps.i18n.t('engine:hint.choose', { lng: lang }) },
        ]),
      ),
      lastInboundAt: (to) => findLastInboundAt({ channel: 'whatsapp', platformUserId: to }),
      ...(deps.flowMedia ? { flowMedia: deps.flowMedia } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    }),
  );
  mountWhatsAppWebhook(deps.app, channel);
  logger.info({ phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID }, 'WhatsApp channel on: webhook at /whatsapp/webhook');
  return { channel, graph, media };
}
