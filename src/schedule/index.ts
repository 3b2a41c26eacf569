/**
 * The scheduler: jobs handed to it by the rooms that own them (the facilitator's workshop
 * reminders, plan-update campaign, alert digests and broadcasts: src/facilitator/jobs.ts). Each
 * is a node-cron 4 task with `distributed: true` and the MongoDB run coordinator, in the
 * configured zone (TIMEZONE): with several instances on one database each fire runs once.
 * Every job queues what is due by then, keyed by deterministic outbox ids, so a missed or
 * repeated fire neither loses nor doubles a message.
 *
 *   const schedules = startSchedules(facilitatorJobs, deps);   // the real cron ticks
 *   await schedules.runDue(now);                // tests: run what is due at `now`, as a tick would
 *   await schedules.stop();
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../logging/logger.js';
import { MongoRunCoordinator, runKey } from './coordinator.js';

/** What every job is given: the zone, a logger, and the clock (a job reads time from it). */
export interface ScheduleDeps {
  timeZone: string;
  logger?: Pick<Logger, 'error'>;
  now?: () => Date;
}

export interface Job<D extends ScheduleDeps = ScheduleDeps> {
  /** Unique, without ':' (it starts the coordination key). */
  name: string;
  cron: string;
  run(deps: D): Promise<unknown>;
}

const JOB_RUN_RETENTION_MS = 7 * 24 * 3600_000;

/** The scheduler's own upkeep: its coordination records are kept a week. */
const CLEANUP: Job = {
  name: 'job-runs-cleanup',
  cron: '30 3 * * *',
  run: (deps) => MongoRunCoordinator.cleanup(new Date((deps.now?.() ?? new Date()).getTime() - JOB_RUN_RETENTION_MS)),
};

export interface Schedules {
  /** Runs every job whose schedule matches `now` (to the minute), through the coordinator. Returns the jobs this instance ran. */
  runDue(now: Date): Promise<string[]>;
  stop(): Promise<void>;
}

export interface ScheduleOptions {
  /** Start node-cron's timers (default true; tests drive runDue instead). */
  cron?: boolean;
  coordinator?: MongoRunCoordinator;
}

export function startSchedules<D extends ScheduleDeps>(owned: Job<D>[], deps: D, options: ScheduleOptions = {}): Schedules {
  const coordinator = options.coordinator ?? new MongoRunCoordinator(undefined, () => deps.now?.() ?? new Date());
  const jobs: Job<D>[] = [...owned, CLEANUP];
  let stopped = false;
  const inFlight = new Set<Promise<unknown>>();

  const execute = async (job: Job<D>, now: () => Date): Promise<void> => {
    const p = job.run({ ...deps, now });
    inFlight.add(p);
    try {
      await p;
    } catch (err) {
      deps.logger?.error({ err, job: job.name }, `Job ${job.name} failed`);
    } finally {
      inFlight.delete(p);
    }
  };

  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.createTask(job.cron, async () => {
      if (!stopped) await execute(job, () => deps.now?.() ?? new Date());
    }, { name: job.name, timezone: deps.timeZone, distributed: true, runCoordinator: coordinator, noOverlap: true }),
  );
  if (options.cron !== false) for (const task of tasks) void task.start();

  return {
    async runDue(now) {
      const fire = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
      const ran: string[] = [];
      for (const [i, job] of jobs.entries()) {
        if (stopped || !tasks[i]!.match(fire)) continue;
        const key = runKey(job.name, fire);
        if (!(await coordinator.shouldRun(key))) continue;
        try {
          await execute(job, () => now);
        } finally {
          await coordinator.onComplete(key);
        }
        ran.push(job.name);
      }
      return ran;
    },
    async stop() {
      stopped = true;
      for (const task of tasks) await task.destroy();
      await Promise.allSettled([...inFlight]);
    },
  };
}
