/**
 * The WhatsApp part of `npm run bench:webhook`: the service with the WhatsApp channel on the
 * embedded database, the local Graph API (test/fakes/whatsapp-graph-api.ts, 80 msg/s), and
 * autocannon posting Meta-signed text messages (the bytes signed as Meta signs them) for
 * `members` people starting to register (halo, ya, tidak, their name, their kecamatan).
 * The figure that matters is the webhook's answer time: Meta expects a median under 250 ms;
 * the target is a median under 50 ms and p99 under 250 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../../src/db/local-server.js';
import { InboxModel } from '../../src/db/models.js';
import { createLogger } from '../../src/logging/logger.js';
import { startService } from '../../src/service.js';
import { startFakeWhatsApp } from '../../test/fakes/whatsapp-graph-api.js';
import { signedWhatsAppText } from '../../test/fakes/whatsapp-payloads.js';
import { postAll, type LoadResult } from './telegram-load.js';

const TOKEN = 'EAAG-bench-token';
const APP_SECRET = 'bench-app-secret';
const PHONE_ID = '106540352242922';
const WALK = (i: number) => ['halo', 'ya', 'tidak', `Ibu Warga ${String.fromCharCode(65 + (i % 26))}`, 'Teluk Waru'];

export interface WhatsAppRound {
  load: LoadResult;
  recorded: number;
  handled: number;
}

export async function whatsappRound(members: number, connections: number): Promise<WhatsAppRound> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-whatsapp-'));
  const port = await freePort();
  const wa = await startFakeWhatsApp({ token: TOKEN, appSecret: APP_SECRET, phoneNumberId: PHONE_ID, webhookUrl: `http://127.0.0.1:${port}/whatsapp/webhook` });
  const service = await startService(
    loadConfig({
      PORT: String(port), DATA_DIR: dataDir, SIMULATOR: 'off', LOG_LEVEL: 'silent',
      WHATSAPP_ACCESS_TOKEN: TOKEN, WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: 'bench', WHATSAPP_PHONE_NUMBER_ID: PHONE_ID,
      WHATSAPP_API_BASE_URL: wa.baseUrl,
    }),
    createLogger({ level: 'silent' }),
    { cron: false },
  );
  try {
    // Step by step across everyone (each person's next message comes `members` posts later).
    const bodies = [];
    for (let step = 0; step < 5; step++) {
      for (let m = 0; m < members; m++) {
        const phone = `62812${String(3_000_000 + m).padStart(7, '0')}`;
        bodies.push(signedWhatsAppText({ appSecret: APP_SECRET, phoneNumberId: PHONE_ID, from: phone, text: WALK(m)[step]! }));
      }
    }
    const load = await postAll(`http://127.0.0.1:${port}/whatsapp/webhook`, bodies, connections);
    const recorded = await InboxModel.countDocuments({ _id: { $regex: '^whatsapp:' } });
    // Handling goes on after the answers; wait for it, as a person would wait for the reply.
    const deadline = Date.now() + 120_000;
    let handled = 0;
    while (Date.now() < deadline) {
      handled = await InboxModel.countDocuments({ _id: { $regex: '^whatsapp:' }, status: 'done' });
      if (handled >= recorded) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    return { load, recorded, handled };
  } finally {
    await service.stop();
    await wa.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
