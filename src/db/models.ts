/** Every mongoose model, so callers import from one place. */
export { VillageModel, type Village } from './models/village.js';
export { MemberModel, ROLES, LANGUAGES, type Member, type Role, type Language } from './models/member.js';
export { RunModel, RUN_STATUSES, type Run } from './models/run.js';
export { SubmissionModel, REVIEW_STATUSES, type ReviewStatus, type Submission } from './models/submission.js';
export { VillagePlanModel, ACTIVITY_STATUSES, type VillagePlan } from './models/village-plan.js';
export { WorkshopModel, type Workshop } from './models/workshop.js';
export { BroadcastModel, DeliveryModel, type Broadcast, type Delivery } from './models/broadcast.js';
export { ProcessedMessageModel } from './models/processed-message.js';
export { AccessCodeModel, type AccessCode } from './models/access-code.js';
export { DataRequestModel } from './models/data-request.js';
export { TelegramPromptModel } from './models/telegram-prompt.js';
export {
  LoginLinkModel, WorkspaceSessionModel, ApiKeyModel, FacilitatorAssignmentModel, AuditLogModel, WorkspaceSettingModel, type AuditLog,
} from './models/workspace-auth.js';
