/**
 * The composition root: wires configuration, database, seed, flows, the conversation
 * service, HTTP, channels and schedules into one running service, and takes it down
 * gracefully (stop taking work, finish what is in flight, close the database).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import cron from 'node-cron';
import { ConversationService } from './chat/conversation-service.js';
import type { ChannelName, ChannelSender } from './chat/types.js';
import { createTelegramChannel, mountTelegramWebhook, type TelegramChannel, type TelegramTexts } from './channels/telegram/index.js';
import { MongoPromptStore } from './channels/telegram/mongo-prompt-store.js';
import { createSimulatorRouter, WebInbox } from './channels/web/simulator.js';
import type { Config } from './config/index.js';
import { connectDatabase, type Database } from './db/connection.js';
import { ProcessedMessageModel, TelegramPromptModel } from './db/models.js';
import { seedVillages } from './db/seed.js';
import { DONE_ID, loadFlows } from './engine/index.js';
import { createApp, finishApp } from './http/app.js';
import { createI18n, SUPPORTED_LANGUAGES } from './i18n.js';
import type { Logger } from './logging/logger.js';
import { flowsDir } from './paths.js';
import { purgeExpiredPersonalData } from './privacy/retention.js';
import { sweepRuns } from './schedule/run-reminders.js';

export interface RunningService {
  port: number;
  db: Database;
  conversations: ConversationService;
  senders: Map<ChannelName, ChannelSender>;
  telegram: TelegramChannel | null;
  /** Runs the reminder/expiry sweep now (the cron job runs it every 10 minutes). */
  sweep(now?: Date): Promise<{ reminded: number; expired: number }>;
  stop(): Promise<void>;
}

/** How long processed inbound ids are kept: longer than any platform retries (WhatsApp: 7 days). */
const DEDUPE_RETENTION_MS = 14 * 24 * 3600_000;

export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  // Flows first: a broken flow file must stop start-up before anything else happens.
  const flows = await loadFlows(flowsDir);
  const i18n = await createI18n();
  logger.info({ flows: [...flows.keys()] }, `Loaded ${flows.size} flows`);

  const db = await connectDatabase(config, logger);
  const seeded = await seedVillages();
  logger.info({ inserted: seeded.inserted, total: seeded.total }, `Villages: ${seeded.total} in the seed, ${seeded.inserted} newly added`);

  const conversations = new ConversationService({ flows, i18n, logger, timeZone: config.TIMEZONE, runExpiryHours: config.RUN_EXPIRY_HOURS });
  const senders = new Map<ChannelName, ChannelSender>();

  let shuttingDown = false;
  const app = createApp({ logger, isReady: () => db.isReady(), isShuttingDown: () => shuttingDown });
  if (config.simulatorEnabled) {
    const inbox = new WebInbox();
    senders.set('web', inbox);
    app.use(createSimulatorRouter(conversations, inbox));
  }
  let telegram: TelegramChannel | null = null;
  if (config.TELEGRAM_BOT_TOKEN) {
    telegram = createTelegramChannel({
      token: config.TELEGRAM_BOT_TOKEN,
      apiRoot: config.TELEGRAM_API_ROOT,
      handler: conversations,
      logger,
      webhookUrl: config.TELEGRAM_WEBHOOK_URL,
      webhookSecret: config.TELEGRAM_WEBHOOK_SECRET,
      promptStore: new MongoPromptStore(),
      textsByLanguage: Object.fromEntries(
        SUPPORTED_LANGUAGES.map((lang) => [lang, i18n.getResourceBundle(lang, 'telegram') as Partial<TelegramTexts>]),
      ),
      doneChoiceId: DONE_ID,
    });
    senders.set('telegram', telegram.sender);
    if (telegram.mode === 'webhook') mountTelegramWebhook(app, telegram);
  }
  finishApp(app, logger);

  const sweep = async (now = new Date()) => {
    // What TTL indexes do on real MongoDB, done by hand so the stand-in (no TTL) stays small too.
    await ProcessedMessageModel.deleteMany({ receivedAt: { $lt: new Date(now.getTime() - DEDUPE_RETENTION_MS) } });
    await TelegramPromptModel.deleteMany({ savedAt: { $lt: new Date(now.getTime() - 30 * 24 * 3600_000) } });
    return sweepRuns(now, { senders, i18n, flows, timeZone: config.TIMEZONE, logger });
  };
  // Every night at 03:00 (WIT by default): delete what the retention promise says must go.
  const retentionTask = cron.schedule(
    '0 3 * * *',
    async () => {
      try {
        const purged = await purgeExpiredPersonalData(new Date(), { unregisteredAfterHours: config.RUN_EXPIRY_HOURS });
        if (purged.inactive || purged.unregistered) logger.info(purged, 'Retention: members deleted');
      } catch (err) {
        logger.error({ err }, 'Retention job failed');
      }
    },
    { name: 'retention', timezone: config.TIMEZONE, noOverlap: true },
  );
  const sweepTask = cron.schedule(
    '*/10 * * * *',
    async () => {
      try {
        const result = await sweep();
        if (result.reminded || result.expired) logger.info(result, 'Run sweep');
      } catch (err) {
        logger.error({ err }, 'Run sweep failed');
      }
    },
    { name: 'run-sweep', timezone: config.TIMEZONE, noOverlap: true },
  );

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.PORT, () => resolve(s));
    s.once('error', reject);
  }).catch(async (err: NodeJS.ErrnoException) => {
    await sweepTask.stop();
    await retentionTask.stop();
    await db.close();
    throw new Error(err.code === 'EADDRINUSE' ? `PORT ${config.PORT} is already in use; set PORT to a free port` : err.message);
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, `Listening on http://localhost:${port}`);
  if (telegram) {
    try {
      await telegram.start();
      logger.info({ mode: telegram.mode }, `Telegram channel started (${telegram.mode === 'webhook' ? 'webhook' : 'long polling'})`);
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sweepTask.stop();
      await retentionTask.stop();
      await db.close();
      throw new Error(`Telegram did not start: ${(err as Error).message}. Check TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT.`);
    }
  }
  if (config.simulatorEnabled) logger.info(`Chat simulator: open http://localhost:${port}/ in a browser`);

  return {
    port,
    db,
    conversations,
    senders,
    telegram,
    sweep,
    async stop() {
      if (shuttingDown) return;
      shuttingDown = true;
      await sweepTask.stop();
      await retentionTask.stop();
      // Stop fetching updates first; handlers in flight finish before the database closes.
      await telegram?.stop();
      // Stop taking new connections, let in-flight requests finish, then close the database.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await db.close();
      logger.info('Stopped');
    },
  };
}
