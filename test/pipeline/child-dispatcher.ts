/**
 * A dispatcher in a process of its own, for the crash test (test/pipeline/dispatcher-process.test.ts):
 *   node --import tsx test/pipeline/child-dispatcher.ts <mongodb uri> <bot api root>
 * Sends until killed; prints "ready" once started.
 */
import mongoose from 'mongoose';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';
import { captureLogger, telegramChannels } from './helpers.js';

const [uri, apiRoot] = process.argv.slice(2);
await mongoose.connect(uri!);
const d = new Dispatcher({ channels: telegramChannels(apiRoot!, { perSecond: 100 }), logger: captureLogger().logger, leaseMs: 1000, pollIntervalMs: 25, maxInFlight: 4 });
d.start();
d.wake();
process.stdout.write('ready\n');
