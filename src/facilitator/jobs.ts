/** The facilitator's scheduled jobs, handed to the scheduler (src/schedule/index.ts) by the service. */
import type { Job } from '../schedule/index.js';
import { runAlertDigests } from './alerts.js';
import { runBroadcasts } from './broadcasts.js';
import { runMonthlyKabar } from './kabar.js';
import type { FacilitatorDeps } from './deps.js';
import { runPlanUpdateCampaign } from './plan-update.js';
import { runWorkshopReminders } from './workshops.js';

export const facilitatorJobs: Job<FacilitatorDeps>[] = [
  { name: 'workshop-reminders', cron: '* * * * *', run: runWorkshopReminders },
  { name: 'plan-update-reminders', cron: '*/15 * * * *', run: runPlanUpdateCampaign },
  { name: 'alert-digests', cron: '* * * * *', run: runAlertDigests },
  { name: 'broadcasts', cron: '* * * * *', run: runBroadcasts },
  // Daily, so a month's news held and then released (or missed while down) still goes out.
  { name: 'village-news', cron: '0 9 * * *', run: runMonthlyKabar },
];
