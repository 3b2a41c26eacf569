/**
 * The facilitator's schedules: workshop reminders, the yearly plan-update campaign, alert
 * digests and broadcast progress. Each is a node-cron 4 task with `distributed: true` and the
 * MongoDB run coordinator, in the configured zone (Asia/Jayapura by default): with several
 * instances on one database each fire runs once. Every job queues what is due by then, keyed
 * by deterministic outbox ids, so a missed or repeated fire neither loses nor doubles a message.
 *
 *   const schedules = startSchedules(deps);     // the real cron ticks
 *   await schedules.runDue(now);                // tests: run what is due at `now`, as a tick would
 *   await schedules.stop();
 */
import cron, { type ScheduledTask } from 'node-cron';
import { runAlertDigests } from '../broadcast/alerts.js';
import { runBroadcasts } from '../broadcast/broadcasts.js';
import type { FacilitatorDeps } from '../broadcast/deps.js';
import { runWorkshopReminders } from '../broadcast/workshops.js';
import { MongoRunCoordinator, runKey } from './coordinator.js';
import { runPlanUpdateCampaign } from './plan-update.js';

export interface Job {
  /** Unique, without ':' (it starts the coordination key). */
  name: string;
  cron: string;
  run(deps: FacilitatorDeps): Promise<unknown>;
}

const JOB_RUN_RETENTION_MS = 7 * 24 * 3600_000;

export const JOBS: Job[] = [
  { name: 'workshop-reminders', cron: '* * * * *', run: runWorkshopReminders },
  { name: 'plan-update-reminders', cron: '*/15 * * * *', run: runPlanUpdateCampaign },
  { name: 'alert-digests', cron: '* * * * *', run: runAlertDigests },
  { name: 'broadcasts', cron: '* * * * *', run: runBroadcasts },
  {
    name: 'job-runs-cleanup',
    cron: '30 3 * * *',
    run: (deps) => MongoRunCoordinator.cleanup(new Date((deps.now?.() ?? new Date()).getTime() - JOB_RUN_RETENTION_MS)),
  },
];

export interface Schedules {
  /** Runs every job whose schedule matches `now` (to the minute), through the coordinator. Returns the jobs this instance ran. */
  runDue(now: Date): Promise<string[]>;
  stop(): Promise<void>;
}

export interface ScheduleOptions {
  /** Start node-cron's timers (default true; tests drive runDue instead). */
  cron?: boolean;
  coordinator?: MongoRunCoordinator;
  jobs?: Job[];
}

export function startSchedules(deps: FacilitatorDeps, options: ScheduleOptions = {}): Schedules {
  const coordinator = options.coordinator ?? new MongoRunCoordinator(undefined, () => deps.now?.() ?? new Date());
  const jobs = options.jobs ?? JOBS;
  let stopped = false;
  const inFlight = new Set<Promise<unknown>>();

  const execute = async (job: Job, now: () => Date): Promise<void> => {
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
