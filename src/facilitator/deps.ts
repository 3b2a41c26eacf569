/**
 * What the facilitator features need from the service: translations, the zone and quiet hours,
 * the clock, and a way to wake the dispatcher after queueing. Plain data, so the workspace API,
 * the chat extensions, the schedules and tests all build one the same way.
 */
import type { i18n as I18n } from 'i18next';
import type { Logger } from '../logging/logger.js';
import type { ClockTime, QuietHours } from '../time/index.js';

export interface ReminderSettings {
  /** Workshop reminders: the day before at this time, and on the day at this time. */
  workshopEve: ClockTime;
  workshopMorning: ClockTime;
  /** Yearly plan update: days before the date, and the local time they go out. */
  planUpdateDays: number[];
  planUpdateTime: ClockTime;
  /** Non-urgent alerts to one facilitator closer together than this go out as one digest. */
  alertDigestMinutes: number;
  /**
   * A risk report that is not severe waits this long after its incident's first report, so the
   * reports of one flood reach the facilitator as one alert ("3 laporan banjir dari Solang").
   */
  incidentHoldMinutes: number;
}

export interface FacilitatorDeps {
  i18n: I18n;
  timeZone: string;
  quietHours: QuietHours | null;
  reminders: ReminderSettings;
  logger?: Logger;
  now?: () => Date;
  /** Called after entries are queued (the dispatcher's wake). */
  wake?: () => void;
}

export const DEFAULT_REMINDERS: ReminderSettings = {
  workshopEve: { hour: 16, minute: 0 },
  workshopMorning: { hour: 7, minute: 0 },
  planUpdateDays: [30, 14, 7, 1],
  planUpdateTime: { hour: 8, minute: 0 },
  alertDigestMinutes: 15,
  incidentHoldMinutes: 120,
};

export const nowOf = (deps: Pick<FacilitatorDeps, 'now'>): Date => deps.now?.() ?? new Date();

/** Deps from the validated configuration (src/config): what src/service.ts builds once. */
export function facilitatorDepsFromConfig(
  config: {
    TIMEZONE: string; QUIET_HOURS: QuietHours | null; WORKSHOP_REMINDER_EVE: ClockTime; WORKSHOP_REMINDER_MORNING: ClockTime;
    PLAN_REMINDER_DAYS: number[]; PLAN_REMINDER_TIME: ClockTime; ALERT_DIGEST_MINUTES: number; ALERT_INCIDENT_HOLD_MINUTES: number;
  },
  parts: { i18n: I18n; logger?: Logger; wake?: () => void; now?: () => Date },
): FacilitatorDeps {
  return {
    ...parts,
    timeZone: config.TIMEZONE,
    quietHours: config.QUIET_HOURS,
    reminders: {
      workshopEve: config.WORKSHOP_REMINDER_EVE,
      workshopMorning: config.WORKSHOP_REMINDER_MORNING,
      planUpdateDays: config.PLAN_REMINDER_DAYS,
      planUpdateTime: config.PLAN_REMINDER_TIME,
      alertDigestMinutes: config.ALERT_DIGEST_MINUTES,
      incidentHoldMinutes: config.ALERT_INCIDENT_HOLD_MINUTES,
    },
  };
}
