import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * Sign-in for the facilitator's workspace. Tokens are random and only their SHA-256 hash is
 * stored, so a copy of the database opens no session. TTL indexes delete them a while after
 * they expire (checked once a minute, on mongod and the stand-in alike): every lookup checks
 * `expiresAt` itself.
 */

/** A one-time sign-in link (chat `masuk`, `npm run admin -- link`): 15 minutes, single use. */
const loginLinkSchema = new Schema(
  {
    tokenHash: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, ref: 'Member', required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
  },
  { timestamps: true },
);
loginLinkSchema.index({ tokenHash: 1 }, { unique: true });
loginLinkSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 24 * 3600 });

export type LoginLink = InferSchemaType<typeof loginLinkSchema>;
export const LoginLinkModel = model('LoginLink', loginLinkSchema);

/** A browser session (cookie), with its CSRF token. Ends at `expiresAt` or on sign-out. */
const workspaceSessionSchema = new Schema(
  {
    tokenHash: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, ref: 'Member', required: true },
    csrfToken: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
  },
  { timestamps: true },
);
workspaceSessionSchema.index({ tokenHash: 1 }, { unique: true });
workspaceSessionSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 7 * 24 * 3600 });

export type WorkspaceSession = InferSchemaType<typeof workspaceSessionSchema>;
export const WorkspaceSessionModel = model('WorkspaceSession', workspaceSessionSchema);

/** An API key for integrations: acts with its owner's rights; stored hashed; revocable. */
const apiKeySchema = new Schema(
  {
    name: { type: String, required: true, maxlength: 80 },
    /** First characters of the key, shown to tell keys apart. */
    prefix: { type: String, required: true },
    keyHash: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, ref: 'Member', required: true },
    createdBy: { type: Schema.Types.ObjectId, ref: 'Member', required: true },
    lastUsedAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
  },
  { timestamps: true },
);
apiKeySchema.index({ keyHash: 1 }, { unique: true });

export type ApiKey = InferSchemaType<typeof apiKeySchema>;
export const ApiKeyModel = model('ApiKey', apiKeySchema);

/** Villages a facilitator is assigned to (besides their own), managed by an admin. */
const facilitatorAssignmentSchema = new Schema(
  {
    memberId: { type: Schema.Types.ObjectId, ref: 'Member', required: true },
    villageCodes: { type: [String], default: [] },
  },
  { timestamps: true },
);
facilitatorAssignmentSchema.index({ memberId: 1 }, { unique: true });

export const FacilitatorAssignmentModel = model('FacilitatorAssignment', facilitatorAssignmentSchema);

/** Who changed what and when, through the pages, the API, the chat or the command line. */
const auditLogSchema = new Schema(
  {
    at: { type: Date, required: true },
    actorId: { type: Schema.Types.ObjectId, ref: 'Member', default: null },
    actorName: { type: String, default: null },
    via: { type: String, enum: ['page', 'api', 'chat', 'cli'], required: true },
    action: { type: String, required: true },
    targetType: { type: String, required: true },
    targetId: { type: String, default: null },
    villageCode: { type: String, default: null },
    details: { type: Schema.Types.Mixed, default: null },
  },
  { versionKey: false },
);
auditLogSchema.index({ at: -1 });
auditLogSchema.index({ villageCode: 1, at: -1 });

export type AuditLog = InferSchemaType<typeof auditLogSchema>;
export const AuditLogModel = model('AuditLog', auditLogSchema);

/** Small settings the workspace keeps for itself (the secret behind export pseudonyms). */
const workspaceSettingSchema = new Schema({ _id: { type: String, required: true }, value: { type: String, required: true } }, { versionKey: false });
export const WorkspaceSettingModel = model('WorkspaceSetting', workspaceSettingSchema);
