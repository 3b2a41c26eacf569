/**
 * Try the WhatsApp channel by hand, without Meta: starts the local Graph API (test/fakes) and lets
 * you write as a villager from the terminal. In another terminal, start the service with
 *
 *   WHATSAPP_ACCESS_TOKEN=local-token WHATSAPP_APP_SECRET=local-secret WHATSAPP_PHONE_NUMBER_ID=106540352242922 \
 *   WHATSAPP_API_BASE_URL=http://127.0.0.1:8090 npm start
 *
 * then `npx tsx scripts/whatsapp-fake.ts [--port 8090] [--webhook http://127.0.0.1:3000/whatsapp/webhook]`
 * and type lines: plain text is sent as a message; `> Title` presses a button or list row;
 * `@ -3.52 130.67` sends a location; `! photo caption` sends a small photo. What the bot sends is printed.
 */
import { createInterface } from 'node:readline';
import { startFakeWhatsApp } from '../test/fakes/whatsapp-graph-api.js';

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
};
const user = { phone: arg('--phone', '6281234567890'), name: 'Warga Uji' };
const wa = await startFakeWhatsApp({
  token: 'local-token',
  appSecret: 'local-secret',
  phoneNumberId: '106540352242922',
  webhookUrl: arg('--webhook', 'http://127.0.0.1:3000/whatsapp/webhook'),
  port: Number(arg('--port', '8090')),
});
console.log(`Local Graph API at ${wa.baseUrl}; writing as +${user.phone}. Ctrl+D to stop.`);
let shown = 0;
setInterval(() => {
  const mine = wa.botMessages(user);
  for (; shown < mine.length; shown++) {
    const m = mine[shown]!;
    const options = wa.optionsOf(m);
    console.log(`\n🤖 ${wa.textOf(m)}${options.length ? `\n   [${options.join('] [')}]` : ''}`);
  }
}, 100).unref();
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const text = line.trim();
  if (!text) continue;
  try {
    if (text.startsWith('> ')) await wa.press(user, text.slice(2).trim(), 1000);
    else if (text.startsWith('@ ')) {
      const [lat, lon] = text.slice(2).trim().split(/\s+/).map(Number);
      await wa.sendLocation(user, lat!, lon!);
    } else if (text.startsWith('! ')) await wa.sendImage(user, Buffer.from('photo bytes'), text.slice(2).trim() || undefined);
    else await wa.sendText(user, text);
  } catch (err) {
    console.error((err as Error).message);
  }
}
await wa.close();
