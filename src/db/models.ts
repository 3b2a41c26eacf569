/** Every mongoose model, so callers import from one place. */
export { VillageModel, type Village } from './models/village.js';
export {
  MemberModel, ROLES, LANGUAGES, SIMULATOR_ADDRESS_PREFIX, SIMULATOR_PEOPLE, SIMULATOR_SOURCES, isSimulatorPerson, type Member, type Role, type Language,
} from './models/member.js';
export { RunModel, RUN_STATUSES, type Run } from './models/run.js';
export { SubmissionModel, REVIEW_STATUSES, type ReviewStatus, type Submission } from './models/submission.js';
export { VillagePlanModel, ACTIVITY_STATUSES, type VillagePlan } from './models/village-plan.js';
export { WorkshopModel, WORKSHOP_STATUSES, type Workshop, type WorkshopStatus } from './models/workshop.js';
export { WorkshopInviteModel, RSVP_ANSWERS, type WorkshopInvite, type RsvpAnswer } from './models/workshop-invite.js';
export { BroadcastModel, BROADCAST_STATUSES, type Broadcast, type BroadcastStatus } from './models/broadcast.js';
export { AlertModel, type Alert } from './models/alert.js';
export { JobRunModel, type JobRun } from './models/job-run.js';
export { ProcessedMessageModel } from './models/processed-message.js';
export { AccessCodeModel, type AccessCode } from './models/access-code.js';
export { DataRequestModel } from './models/data-request.js';
export { TelegramPromptModel } from './models/telegram-prompt.js';
export { OutboxModel, OUTBOX_STATUSES, OUTBOX_KINDS, type OutboxEntry, type OutboxStatus, type OutboxKind } from './models/outbox.js';
export { InboxModel, type InboxEntry } from './models/inbox.js';
export {
  LoginLinkModel, WorkspaceSessionModel, ApiKeyModel, FacilitatorAssignmentModel, AuditLogModel, WorkspaceSettingModel, type AuditLog,
} from './models/workspace-auth.js';
export { HelpRequestModel, HELP_STATUSES, type HelpRequest, type HelpStatus } from './models/help-request.js';
export { ProxyDraftModel, type ProxyDraft } from './models/proxy-draft.js';
export { DeliveryStatusModel, type DeliveryStatus } from './models/delivery-status.js';
export { LinkCodeModel, type LinkCode } from './models/link-code.js';
export { SimulatorSessionModel, type SimulatorSession } from './models/simulator-session.js';
export { IncidentModel, type Incident } from './models/incident.js';
export { VillageNewsModel } from './models/village-news.js';
export { RunEndModel } from './models/run-end.js';
