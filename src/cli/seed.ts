/**
 * `npm run seed`: loads the villages into the configured database. Safe to run again.
 * `npm run seed -- --demo`: also loads the demo workspace (marked as demo);
 * `npm run seed -- --demo --remove`: removes it again.
 */
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { loadConfig } from '../config/index.js';
import { connectDatabase } from '../db/connection.js';
import { removeDemo, seedDemo } from '../db/demo-seed.js';
import { seedVillages } from '../db/seed.js';
import { createLogger } from '../logging/logger.js';
import { printDatabaseNote } from './database-note.js';

const { values } = parseArgs({ options: { demo: { type: 'boolean', default: false }, remove: { type: 'boolean', default: false } } });
dotenv.config({ quiet: true });
const config = loadConfig();
const logger = createLogger({ level: config.LOG_LEVEL });
// While `npm start` runs, its database is used (its files are locked); else one is started for this command.
const db = await connectDatabase(config, logger, { role: 'client' });
printDatabaseNote(db.source);
try {
  const { inserted, total } = await seedVillages();
  logger.info(`Villages: ${total} in the seed, ${inserted} newly added`);
  if (values.demo && values.remove) {
    const removed = await removeDemo();
    logger.info(removed, 'Demo data removed');
  } else if (values.demo) {
    const demo = await seedDemo();
    if (demo.clearedHalf) logger.info('An earlier demo load had stopped halfway: its remains were removed first');
    for (const p of demo.keptPlans) logger.info(`${p.name} (${p.code}) already has a real plan for ${p.year}: kept as it is, no demo plan or progress added there`);
    logger.info({ villages: demo.villages, members: demo.members, submissions: demo.submissions, keptPlans: demo.keptPlans.length },
      `Demo loaded: ${demo.villages} villages, ${demo.members} members, ${demo.submissions} submissions. Sign in: npm run admin -- link (admin) or npm run admin -- link --member ${demo.facilitatorIds[0]} (a demo facilitator)`);
  }
} finally {
  await db.close();
}
