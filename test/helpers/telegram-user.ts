/** A person on Telegram, through the local Bot API: says things, presses buttons, reads what the bot sent. */
import type { FakeChatMessage, FakeTelegram } from '../fakes/telegram-bot-api.js';

/** Reads the chat as the person would: waits for the next bot message matching, past those already read. */
export class TelegramUser {
  private read = new Set<number>();
  constructor(readonly fake: FakeTelegram, readonly id: number, readonly firstName = 'Siti') {}

  async expect(pattern: RegExp, timeoutMs = 8000): Promise<FakeChatMessage> {
    const found = await this.fake
      .waitFor(() => this.fake.chat(this.id).botMessages.find((m) => !this.read.has(m.message_id) && pattern.test(m.text ?? '')), timeoutMs)
      .catch(() => {
        const last = this.fake.chat(this.id).botMessages.slice(-3).map((m) => JSON.stringify(m.text));
        throw new Error(`${this.firstName} (${this.id}) never got ${pattern}; the last bot messages: ${last.join(' | ') || 'none'}`);
      });
    for (const m of this.fake.chat(this.id).botMessages) if (m.message_id <= found.message_id) this.read.add(m.message_id);
    return found;
  }

  buttons(message: FakeChatMessage): string[] {
    const current = this.fake.chat(this.id).messages.find((m) => m.message_id === message.message_id);
    return (current?.inlineKeyboard ?? []).flat().map((b) => b.text);
  }

  say(text: string) {
    return this.fake.sendText({ id: this.id, first_name: this.firstName, language_code: 'id' }, text);
  }

  press(label: string, message: FakeChatMessage) {
    return this.fake.pressButtonText(this.id, label, { messageId: message.message_id });
  }
}
