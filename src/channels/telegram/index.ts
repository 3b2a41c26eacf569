/** The Telegram channel adapter. Everything the rest of the program needs comes from here. */
export {
  createTelegramChannel,
  mountTelegramWebhook,
  DEFAULT_TELEGRAM_TEXTS,
  MULTIPLE_DONE_CHOICE_ID,
  TELEGRAM_ALLOWED_UPDATES,
  TELEGRAM_WEBHOOK_PATH,
  type TelegramChannel,
  type TelegramChannelOptions,
  type TelegramLogger,
  type TelegramTexts,
} from './channel.js';
export {
  decodeVillagePayload,
  encodeVillagePayload,
  parseStartCommand,
  telegramDeepLink,
  START_PAYLOAD_PATTERN,
} from './deep-link.js';
export { MemoryPromptStore, type TelegramPromptStore } from './prompt-store.js';
export { type StoredPrompt, decodeCallbackData, encodeChoiceData, CALLBACK_DATA_MAX_BYTES } from './keyboard.js';
export { escapeHtml, splitText, TELEGRAM_TEXT_LIMIT } from './format.js';
