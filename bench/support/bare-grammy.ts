/**
 * The yardstick of bench/webhook.ts: a minimal grammY webhook bot with no database. It answers
 * every text with one message, in the webhook response (no Bot API call), as a small bot would.
 */
import express from 'express';
import { Bot, webhookCallback } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';

const bot = new Bot(process.env.BENCH_TOKEN!, {
  botInfo: { id: 1, is_bot: true, first_name: 'Bare', username: 'bare_bot', can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false, can_connect_to_business: false, has_main_web_app: false } as UserFromGetMe,
  client: { apiRoot: process.env.BENCH_API_ROOT!, canUseWebhookReply: (method) => method === 'sendMessage' },
});
bot.on('message', (ctx) => ctx.reply(`Terima kasih, ${ctx.from.first_name}: ${ctx.message.text ?? 'lokasi'}`));
const app = express();
app.use(express.json());
app.post('/', webhookCallback(bot, 'express', { secretToken: process.env.BENCH_SECRET! }));
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('disconnect', () => process.exit(0));
