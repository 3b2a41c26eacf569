/** WhatsApp as a channel module: the signed webhook in, the Graph API out (src/channels/module.ts). */
import type { ChannelModule } from '../module.js';
import { setUpWhatsApp, type WhatsAppSetup } from './setup.js';

export const whatsappModule: ChannelModule<WhatsAppSetup> = {
  name: 'whatsapp',
  label: 'WhatsApp',
  enabled: (config) => Boolean(config.WHATSAPP_ACCESS_TOKEN),
  setUp(ctx) {
    const { app, config, inbox, channels, i18n, logger, media, flowMedia, now } = ctx;
    return { handle: setUpWhatsApp({ app, config, inbox, channels, i18n, logger, media, ...(flowMedia ? { flowMedia } : {}), ...(now ? { now } : {}) }) };
  },
};
