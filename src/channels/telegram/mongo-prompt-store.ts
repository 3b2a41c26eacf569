/** The Telegram prompt store in MongoDB: paging and long-id buttons survive restarts and work across instances. */
import { TelegramPromptModel } from '../../db/models.js';
import type { StoredPrompt } from './keyboard.js';
import type { TelegramPromptStore } from './prompt-store.js';

export class MongoPromptStore implements TelegramPromptStore {
  async get(chatId: number, messageId: number): Promise<StoredPrompt | undefined> {
    const doc = await TelegramPromptModel.findById(`${chatId}:${messageId}`).lean();
    return doc ? (doc.prompt as StoredPrompt) : undefined;
  }

  async set(chatId: number, messageId: number, prompt: StoredPrompt): Promise<void> {
    await TelegramPromptModel.updateOne({ _id: `${chatId}:${messageId}` }, { $set: { prompt, savedAt: new Date() } }, { upsert: true });
  }
}
