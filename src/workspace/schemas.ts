/**
 * Every input of the workspace API and pages, as zod schemas. The same schemas validate
 * requests and generate the OpenAPI document. Strict objects: an unknown field (or a
 * "field[$gt]" query key) is a 400, never a query operator.
 */
import { z } from 'zod';
import { ACTIVITY_STATUSES, HELP_STATUSES, REVIEW_STATUSES, ROLES } from '../vocabulary.js';

export const villageCode = z.string().regex(/^\d{2}\.\d{2}\.\d{2}\.\d{4}$/, 'a Kemendagri village code such as 81.05.15.2004');
export const kecamatanCode = z.string().regex(/^\d{2}\.\d{2}\.\d{2}$/, 'a Kemendagri kecamatan code such as 81.05.15');
export const objectId = z.string().regex(/^[a-f0-9]{24}$/, 'a 24-character id');
export const flowId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a flow id such as laporan-risiko');
export const isoDate = z.iso.date();
export const year = z.coerce.number().int().min(2000).max(2100);
export const lang = z.enum(['id', 'en']);
export const reviewStatus = z.enum(REVIEW_STATUSES);
export const activityStatus = z.enum(ACTIVITY_STATUSES);
const shortText = (max: number) => z.string().trim().min(1).max(max);

export const paging = {
  page: z.coerce.number().int().min(1).max(100000).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

export const villageParams = z.strictObject({ code: villageCode });
export const kecamatanParams = z.strictObject({ code: kecamatanCode });
export const idParams = z.strictObject({ id: objectId });
export const planParams = z.strictObject({ code: villageCode, year });
export const activityParams = z.strictObject({ code: villageCode, year, activityId: objectId });
export const photoParams = z.strictObject({ id: objectId, questionId: z.string().regex(/^[a-z0-9_]{1,40}$/) });

export const villagesQuery = z.strictObject({
  kecamatan: kecamatanCode.optional(),
  assisted: z.enum(['true', 'false']).optional(),
});
export const villagePatch = z.strictObject({
  assisted: z.boolean().optional(),
  planUpdateDate: isoDate.nullable().optional(),
});
export const summaryQuery = z.strictObject({ lang: lang.optional() });

export const membersQuery = z.strictObject({
  village: villageCode.optional(),
  role: z.enum(ROLES).optional(),
  ...paging,
});
export const assignmentBody = z.strictObject({ villageCodes: z.array(villageCode).max(100) });

export const plansQuery = z.strictObject({ village: villageCode.optional(), year: year.optional(), ...paging });
const planItem = z.strictObject({ id: objectId.optional(), title: shortText(300) });
export const planActivity = z.strictObject({
  id: objectId.optional(),
  title: shortText(300),
  owner: z.string().trim().max(120).nullable().optional(),
  targetDate: isoDate.nullable().optional(),
  status: activityStatus.optional(),
  percentDone: z.number().int().min(0).max(100).optional(),
});
export const planBody = z.strictObject({
  goals: z.array(planItem).max(100),
  challenges: z.array(planItem).max(100),
  activities: z.array(planActivity).max(300),
});
export const activityPatch = z.strictObject({
  title: shortText(300).optional(),
  owner: z.string().trim().max(120).nullable().optional(),
  targetDate: isoDate.nullable().optional(),
  status: activityStatus.optional(),
  percentDone: z.number().int().min(0).max(100).optional(),
});

export const submissionsQuery = z.strictObject({
  flow: flowId.optional(),
  village: villageCode.optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  lang: lang.optional(),
  ...paging,
});
export const reportsQuery = z.strictObject({
  status: reviewStatus.optional(),
  village: villageCode.optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  lang: lang.optional(),
  ...paging,
});
/** A resident's name as said aloud: letters, as the chat's name question wants. */
export const residentName = z.string().trim().min(2).max(60).regex(/\p{L}/u, 'a name with letters');
/** Answering for someone who can't type: the whole flow's answers, walked by the engine. */
export const proxyBody = z.strictObject({
  flowId,
  villageCode,
  forName: residentName,
  consentAloud: z.literal(true, { error: 'The resident must agree aloud first (consentAloud: true).' }),
  lang: lang.optional(),
  /** By question id, in the stored shapes: a choice id, a list of ids, true/false, a number, text, YYYY-MM-DD, HH:MM, { latitude, longitude }; a repeat group as a list of objects; null skips. */
  answers: z.record(z.string().regex(/^[A-Za-z0-9_]{1,60}$/, 'a question id'), z.unknown()),
});
export const reviewBody = z.strictObject({
  status: reviewStatus,
  note: z.string().trim().max(1000).optional(),
});

export const incidentsQuery = z.strictObject({
  status: reviewStatus.optional(),
  village: villageCode.optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  ...paging,
});
export const funnelParams = z.strictObject({ flowId });
export const funnelQuery = z.strictObject({
  from: isoDate.optional(),
  to: isoDate.optional(),
  village: villageCode.optional(),
  channel: z.enum(['telegram', 'whatsapp', 'web']).optional(),
  lang: lang.optional(),
});
export const kabarHoldBody = z.strictObject({ held: z.boolean() });
export const incidentMergeBody = z.strictObject({ incidentId: objectId });
export const incidentSplitBody = z.strictObject({ reportId: objectId });

export const workshopsQuery = z.strictObject({ village: villageCode.optional(), ...paging });
export const workshopBody = z.strictObject({
  title: shortText(200),
  villageCodes: z.array(villageCode).min(1).max(40),
  place: shortText(200),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
});
export const attendanceBody = z.strictObject({
  attendance: z.array(z.strictObject({ villageCode, total: z.number().int().min(0).max(10000), women: z.number().int().min(0).max(10000).nullable().optional() })).max(40),
});

export const broadcastsQuery = z.strictObject({ ...paging });
export const broadcastBody = z.strictObject({
  kind: z.enum(['announcement', 'workshop-reminder', 'plan-update-reminder']).default('announcement'),
  text: z.strictObject({ id: shortText(1000), en: z.string().trim().max(1000).optional() }),
  villageCodes: z.array(villageCode).min(1).max(40),
  roles: z.array(z.enum(ROLES)).max(4).default([]),
  scheduledAt: z.iso.datetime({ offset: true }),
  workshopId: objectId.optional(),
});

export const helpStatus = z.enum(HELP_STATUSES);
/** A help request's id: `help:<channel>:<message id>` as the chat side stores it. */
export const helpRequestParams = z.strictObject({ id: z.string().regex(/^help:[a-z]+:[\x21-\x7e]{1,200}$/, 'a help request id such as help:telegram:123') });
export const helpQuery = z.strictObject({ village: villageCode.optional(), status: helpStatus.optional(), ...paging });
export const helpReportsQuery = z.strictObject({ village: villageCode.optional(), ...paging });
export const helpStatusBody = z.strictObject({ status: helpStatus, note: z.string().trim().max(1000).optional() });

/** People who registered with "desa lain" (a village not in the list), waiting for a real village. */
export const unmatchedQuery = z.strictObject({ ...paging });
export const memberVillageBody = z.strictObject({ villageCode });
export const auditQuery = z.strictObject({ village: villageCode.optional(), ...paging });

export const exportQuery = z.strictObject({
  flow: flowId,
  village: villageCode.optional(),
  kecamatan: kecamatanCode.optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  lang: lang.default('id'),
  /** Reporters' names instead of pseudonyms: admins only, recorded in the audit log. */
  names: z.enum(['0', '1']).default('0'),
  /** 'kode': question ids and machine values instead of titles and labels (for analysts; in XLSX always on the sheet "kode"). */
  labels: z.enum(['teks', 'kode']).default('teks'),
});
export const exportParams = z.strictObject({ format: z.enum(['csv', 'xlsx']) });

export const apiKeyBody = z.strictObject({ name: shortText(80), memberId: objectId.optional() });
export const emptyQuery = z.strictObject({});
