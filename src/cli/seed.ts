/** `npm run seed`: loads the villages into the configured database. Safe to run again. */
import dotenv from 'dotenv';
import { loadConfig } from '../config/index.js';
import { connectDatabase } from '../db/connection.js';
import { seedVillages } from '../db/seed.js';
import { createLogger } from '../logging/logger.js';

dotenv.config({ quiet: true });
const config = loadConfig();
const logger = createLogger({ level: config.LOG_LEVEL });
const db = await connectDatabase(config, logger);
try {
  const { inserted, total } = await seedVillages();
  logger.info(`Villages: ${total} in the seed, ${inserted} newly added`);
} finally {
  await db.close();
}
