/** Fixtures for the facilitator features: members as registration leaves them, deps on a settable clock. */
import { randomUUID } from 'node:crypto';
import type { Types } from 'mongoose';
import { beforeAll, beforeEach } from 'vitest';
import { DEFAULT_REMINDERS, type FacilitatorDeps } from '../../src/facilitator/deps.js';
import { MemberModel, OutboxModel } from '../../src/db/models.js';
import { type Role } from '../../src/vocabulary.js';
import { createI18n } from '../../src/i18n.js';
import { seedVillages } from '../../src/db/seed.js';
import { parseQuietHours } from '../../src/time/index.js';
import type { MemberSnapshot } from '../../src/conversation/extensions.js';

export const SOLANG = '81.05.15.2004'; // Teluk Waru
export const KOTA_SIRIH = '81.05.11.2003'; // Gorom Timur
export const TZ = 'Asia/Jayapura';

/** Local WIT time as a Date: wit('2026-09-14 16:00'). */
export const wit = (text: string) => new Date(`${text.replace(' ', 'T')}:00+09:00`);

export class Clock {
  constructor(public current: Date) {}
  now = () => new Date(this.current);
  set(d: Date) {
    this.current = d;
  }
}

export async function makeDeps(clock: Clock, overrides: Partial<FacilitatorDeps> = {}): Promise<FacilitatorDeps> {
  return { i18n: await createI18n(), timeZone: TZ, quietHours: parseQuietHours('21:00-06:00'), reminders: DEFAULT_REMINDERS, now: clock.now, ...overrides };
}

export interface MemberFixture {
  village?: string | null;
  role?: Role;
  language?: 'id' | 'en';
  channel?: 'telegram' | 'whatsapp' | 'web';
  optedOut?: boolean;
  blocked?: boolean;
  consent?: boolean;
  registered?: boolean;
  name?: string;
  platformUserId?: string;
}

export async function makeMember(f: MemberFixture = {}) {
  const consent = f.consent ?? true;
  return MemberModel.create({
    channel: f.channel ?? 'telegram',
    platformUserId: f.platformUserId ?? `${Math.floor(Math.random() * 1e9)}${randomUUID().slice(0, 4).replace(/\D/g, '')}`,
    name: f.name ?? 'Orang',
    villageCode: f.village === undefined ? SOLANG : f.village,
    role: f.role ?? 'warga',
    language: f.language ?? 'id',
    consent: consent ? { version: 'daftar v1', givenAt: new Date('2026-01-01T00:00:00Z') } : null,
    registeredAt: (f.registered ?? consent) ? new Date('2026-01-01T00:00:00Z') : null,
    optedOut: f.optedOut ?? false,
    blocked: f.blocked ?? false,
  });
}

export function snapshot(m: Awaited<ReturnType<typeof makeMember>>): MemberSnapshot {
  return {
    _id: m._id, channel: m.channel, platformUserId: m.platformUserId, name: m.name ?? null, villageCode: m.villageCode ?? null,
    role: m.role as Role, language: m.language === 'en' ? 'en' : 'id',
  };
}

/** Outbox entries whose id starts with `prefix`, by member id. */
export async function entries(prefix: string) {
  const rows = await OutboxModel.find({ _id: { $regex: `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` } }).sort({ _id: 1 }).lean();
  return rows;
}

export const memberIds = (rows: { memberId?: Types.ObjectId | null }[]) => rows.map((r) => String(r.memberId)).sort();
export const ids = (...ms: { _id: Types.ObjectId }[]) => ms.map((m) => String(m._id)).sort();

/**
 * The common setup of these test files: villages seeded once, a clock reset to `start` and the
 * given collections emptied before each test. `fixture.deps` is ready inside tests.
 */
export function useFacilitatorFixture(start: string, collections: { deleteMany(filter: object): unknown }[]) {
  const fixture = { clock: new Clock(wit(start)), deps: null as unknown as FacilitatorDeps };
  beforeAll(async () => {
    await seedVillages();
    fixture.deps = await makeDeps(fixture.clock);
  });
  beforeEach(async () => {
    fixture.clock.set(wit(start));
    for (const c of collections) await c.deleteMany({});
  });
  return fixture;
}
