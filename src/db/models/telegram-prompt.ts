import { Schema, model } from 'mongoose';

/**
 * Choice lists the Telegram adapter rendered, keyed "<chat id>:<message id>", so paging and
 * index-encoded buttons work after a restart and on any webhook instance.
 */
const telegramPromptSchema = new Schema(
  {
    _id: { type: String, required: true },
    prompt: { type: Schema.Types.Mixed, required: true },
    savedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
telegramPromptSchema.index({ savedAt: 1 }, { expireAfterSeconds: 30 * 24 * 3600 });

export const TelegramPromptModel = model('TelegramPrompt', telegramPromptSchema);
