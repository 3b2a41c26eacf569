import { Schema, model, type InferSchemaType } from 'mongoose';
import { RSVP_ANSWERS } from '../../vocabulary.js';

export { RSVP_ANSWERS, type RsvpAnswer } from '../../vocabulary.js';


/**
 * One person told about a workshop, and their answer. `_id` is `<workshopId>:<memberId>`, so
 * telling someone twice or a replayed answer writes one document. Changes and cancellations go
 * to exactly these people; `active` turns false when their village leaves the workshop.
 */
const workshopInviteSchema = new Schema(
  {
    _id: { type: String, required: true },
    workshopId: { type: Schema.Types.ObjectId, ref: 'Workshop', required: true },
    memberId: { type: Schema.Types.ObjectId, ref: 'Member', required: true },
    villageCode: { type: String, required: true },
    invitedAt: { type: Date, required: true },
    active: { type: Boolean, default: true },
    /** When the announcement (or a first reminder) was queued for them. */
    toldAt: { type: Date, default: null },
    response: { type: String, enum: [...RSVP_ANSWERS, null], default: null },
    respondedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
workshopInviteSchema.index({ workshopId: 1, active: 1 });
// Deleting a member's data finds their answers.
workshopInviteSchema.index({ memberId: 1 });

export type WorkshopInvite = InferSchemaType<typeof workshopInviteSchema>;
export const WorkshopInviteModel = model('WorkshopInvite', workshopInviteSchema, 'workshopinvites');
