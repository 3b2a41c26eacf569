/**
 * The words the data is made of: roles, languages, statuses, and who counts as a simulator
 * person. Every layer may use them (the models store them, chat and the workspace show them);
 * nothing here touches the database.
 */

export const ROLES = ['warga', 'pokja', 'fasilitator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const LANGUAGES = ['id', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const REVIEW_STATUSES = ['baru', 'diverifikasi', 'ditindaklanjuti', 'selesai', 'ditolak'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];
export const HELP_STATUSES = ['baru', 'dihubungi', 'selesai'] as const;
export type HelpStatus = (typeof HELP_STATUSES)[number];
export const RSVP_ANSWERS = ['hadir', 'tidak', 'mungkin'] as const;
export type RsvpAnswer = (typeof RSVP_ANSWERS)[number];
export const ACTIVITY_STATUSES = ['belum', 'berjalan', 'selesai', 'terhambat'] as const;

/**
 * The chat simulator's people: the web channel, addressed `sim-<session id>`. The simulator has
 * no login, so whatever role they registered with, they are a sandbox: staff there reach no
 * workspace and see and reach only simulator people and their reports (never real residents).
 */
export const SIMULATOR_ADDRESS_PREFIX = 'sim-';

export function isSimulatorPerson(m: { channel?: string | null; platformUserId?: string | null }): boolean {
  return m.channel === 'web' && typeof m.platformUserId === 'string' && m.platformUserId.startsWith(SIMULATOR_ADDRESS_PREFIX);
}
