/**
 * The peer of bench/webhook.ts: what a developer would build instead of Suara Desa. A grammY
 * webhook bot whose survey is a @grammyjs/conversations conversation, its state persisted with
 * @grammyjs/storage-mongodb (a unique index on its key) in the database the service started.
 * The survey has the length of Suara Desa's registration (/start, then seven answers: consent,
 * age, name, kecamatan, village, role, send); its answers are stored at the end, as ours are.
 * Any other message gets the menu. Replies go to the Bot API (ctx.reply), not in the webhook
 * response, as Suara Desa's do.
 */
import { conversations, createConversation, type Conversation, type ConversationFlavor } from '@grammyjs/conversations';
import { MongoDBAdapter } from '@grammyjs/storage-mongodb';
import express from 'express';
import { Bot, webhookCallback, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { MongoClient } from 'mongodb';

type Ctx = ConversationFlavor<Context>;

const client = await MongoClient.connect(process.env.BENCH_PEER_DB!);
const db = client.db();
const sessions = db.collection<{ key: string; value: unknown }>('peer_sessions');
await sessions.createIndex({ key: 1 }, { unique: true });
const answers = db.collection('peer_answers');

const bot = new Bot<Ctx>(process.env.BENCH_TOKEN!, {
  botInfo: { id: 1, is_bot: true, first_name: 'Peer', username: 'peer_bot', can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false, can_connect_to_business: false, has_main_web_app: false } as UserFromGetMe,
  client: { apiRoot: process.env.BENCH_API_ROOT! },
});
bot.use(conversations({ storage: { type: 'key', adapter: new MongoDBAdapter({ collection: sessions as never }) } }));

const QUESTIONS = [
  'Apakah Anda setuju data Anda disimpan? (ya/tidak)',
  'Apakah umur Anda di bawah 17 tahun? (ya/tidak)',
  'Siapa nama Anda?',
  'Di kecamatan mana Anda tinggal?',
  'Di desa mana Anda tinggal?',
  'Apa peran Anda? (warga desa / pokja / fasilitator)',
];

async function survey(conversation: Conversation<Ctx, Ctx>, ctx: Ctx): Promise<void> {
  const given: string[] = [];
  for (const question of QUESTIONS) {
    await ctx.reply(question);
    const answer = await conversation.waitFor('message:text');
    given.push(answer.message.text);
  }
  await ctx.reply(`Periksa jawaban Anda:\n${given.map((a, i) => `${i + 1}. ${a}`).join('\n')}\n\nKetik KIRIM untuk mengirim.`);
  await conversation.waitFor('message:text');
  await conversation.external(() => answers.insertOne({ chat: ctx.chat!.id, given, at: new Date() }));
  await ctx.reply('Terima kasih, pendaftaran tersimpan.\n\nMenu:\n1. Profil desa\n2. Laporan risiko\n3. Daftar ulang');
}

bot.use(createConversation(survey, 'survey'));
bot.command('start', (ctx) => ctx.conversation.enter('survey'));
bot.on('message', (ctx) => ctx.reply('Menu:\n1. Profil desa\n2. Laporan risiko\n3. Daftar ulang\n\nBalas dengan nomor pilihan.'));

const app = express();
app.use(express.json());
app.post('/', webhookCallback(bot, 'express', { secretToken: process.env.BENCH_SECRET! }));
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('disconnect', () => void client.close().finally(() => process.exit(0)));
