/**
 * Alerts to facilitators: one document per (source, facilitator), `_id`
 * `<source id>:<facilitator id>`, so a replayed submission alerts nobody twice.
 *
 * Indexes (models/alert.ts): { status, facilitatorId } serves the pending ones; { facilitatorId,
 * queuedAt } whether a facilitator was told lately; _id the alerts of one message.
 */
import type { Types } from 'mongoose';
import { AlertModel } from '../models.js';

export interface NewAlert {
  id: string;
  facilitatorId: Types.ObjectId;
  fromMemberId: Types.ObjectId;
  kind: 'risk' | 'help';
  sourceId: string;
  villageCode: string | null;
  urgent: boolean;
  data: unknown;
  incidentId?: Types.ObjectId | null;
  holdUntil?: Date | null;
}

export interface AlertRow {
  _id: string;
  facilitatorId: Types.ObjectId;
  kind: string;
  urgent?: boolean | null;
  data: unknown;
  outboxId?: string | null;
  incidentId?: Types.ObjectId | null;
  holdUntil?: Date | null;
}

/** Stores each alert once (a second call with the same id changes nothing), pending. */
export async function insertAlerts(alerts: NewAlert[], now: Date): Promise<void> {
  await AlertModel.bulkWrite(
    alerts.map((a) => ({
      updateOne: {
        filter: { _id: a.id },
        update: {
          $setOnInsert: {
            facilitatorId: a.facilitatorId, fromMemberId: a.fromMemberId, kind: a.kind, sourceId: a.sourceId, villageCode: a.villageCode,
            urgent: a.urgent, data: a.data, incidentId: a.incidentId ?? null, holdUntil: a.holdUntil ?? null, createdAt: now, status: 'pending', outboxId: null, queuedAt: null,
          },
        },
        upsert: true,
      },
    })),
    { ordered: false },
  );
}

/** Whether an alert (other than `exceptId`) was queued for this facilitator after `since`. */
export async function alertQueuedSince(facilitatorId: Types.ObjectId, since: Date, exceptId?: string): Promise<boolean> {
  const filter: Record<string, unknown> = { facilitatorId, queuedAt: { $gt: since } };
  if (exceptId !== undefined) filter._id = { $ne: exceptId };
  return (await AlertModel.exists(filter)) !== null;
}

/** Claims the pending ones among these alerts for the message `outboxId`. */
export async function claimAlertsFor(alertIds: string[], outboxId: string): Promise<void> {
  await AlertModel.updateMany({ _id: { $in: alertIds }, status: 'pending' }, { $set: { outboxId } });
}

/** These alerts, oldest first. */
export async function findAlerts(alertIds: string[]): Promise<AlertRow[]> {
  return AlertModel.find({ _id: { $in: alertIds } }).sort({ createdAt: 1 }).lean();
}

/** Every pending alert, oldest first. */
export async function findPendingAlerts(): Promise<AlertRow[]> {
  return AlertModel.find({ status: 'pending' }).sort({ createdAt: 1 }).lean();
}

/** A facilitator's pending alerts of one incident (index { status, facilitatorId }). */
export async function pendingIncidentAlerts(facilitatorId: Types.ObjectId, incidentId: Types.ObjectId): Promise<string[]> {
  const rows = await AlertModel.find({ status: 'pending', facilitatorId, incidentId }, { _id: 1 }).lean();
  return rows.map((r) => r._id);
}

/** Marks these alerts queued (their message is in the outbox). */
export async function markAlertsQueued(alertIds: string[], now: Date): Promise<void> {
  await AlertModel.updateMany({ _id: { $in: alertIds } }, { $set: { status: 'queued', queuedAt: now } });
}

/** Marks these alerts done with no message (nobody to tell). */
export async function markAlertsUnsent(alertIds: string[], now: Date): Promise<void> {
  await AlertModel.updateMany({ _id: { $in: alertIds } }, { $set: { status: 'queued', outboxId: null, queuedAt: now } });
}
