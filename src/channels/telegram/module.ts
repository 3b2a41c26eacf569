/** Telegram as a channel module: the webhook or polling in, the Bot API out (src/channels/module.ts). */
import { SUPPORTED_LANGUAGES } from '../../i18n.js';
import { DONE_ID } from '../../engine/index.js';
import type { ChannelModule } from '../module.js';
import { createTelegramChannel, mountTelegramWebhook, type TelegramChannel, type TelegramTexts } from './channel.js';
import { MongoPromptStore } from './mongo-prompt-store.js';
import { createTelegramOutbound } from './outbound.js';

export const telegramModule: ChannelModule<TelegramChannel> = {
  name: 'telegram',
  label: 'Telegram',
  enabled: (config) => Boolean(config.TELEGRAM_BOT_TOKEN),
  setUp(ctx) {
    const { config, logger } = ctx;
    const textsByLanguage = Object.fromEntries(
      SUPPORTED_LANGUAGES.map((lang) => [lang, { ...(ctx.i18n.getResourceBundle(lang, 'telegram') as Partial<TelegramTexts>), engineChooseHint: ctx.i18n.t('engine:hint.choose', { lng: lang }) }]),
    );
    const promptStore = new MongoPromptStore();
    const telegram = createTelegramChannel({
      token: config.TELEGRAM_BOT_TOKEN!,
      apiRoot: config.TELEGRAM_API_ROOT,
      inbox: ctx.inbox,
      setBlocked: (address, blocked) => ctx.conversations.setBlocked(address, blocked),
      logger,
      webhookUrl: config.TELEGRAM_WEBHOOK_URL,
      webhookSecret: config.TELEGRAM_WEBHOOK_SECRET,
      promptStore,
      textsByLanguage,
      doneChoiceId: DONE_ID,
      media: ctx.media,
    });
    ctx.channels.register(createTelegramOutbound({
      api: telegram.api, logger, promptStore, textsByLanguage, doneChoiceId: DONE_ID,
      ...(ctx.flowMedia ? { flowMedia: ctx.flowMedia } : {}),
      ...(ctx.telegramRateLimits ? { rateLimits: ctx.telegramRateLimits } : {}),
    }));
    if (telegram.mode === 'webhook') mountTelegramWebhook(ctx.app, telegram);
    return {
      handle: telegram,
      start: () => telegram.start(),
      stop: () => telegram.stop(),
      startedLine: `Telegram channel started (${telegram.mode === 'webhook' ? 'webhook' : 'long polling'})`,
      startHint: 'Check TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT.',
    };
  },
};
