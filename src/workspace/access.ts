/**
 * Who may see and change what. A facilitator sees the villages assigned to them (their own
 * village plus the assignment an admin manages); an admin sees all; residents and Pokja have
 * no access to the workspace. A village out of reach answers 404, as if it did not exist.
 * Staff of the chat simulator (no login there) have no workspace at all; in chat they see only
 * the simulator's reports (`simulatorOnly`).
 */
import type { Types } from 'mongoose';
import { findMemberForAccess } from '../db/repositories/members.js';
import { villagesOf } from '../facilitator/recipients.js';
import { isSimulatorPerson } from '../vocabulary.js';
import { forbidden, notFound } from './errors.js';

export type Via = 'page' | 'api' | 'chat' | 'cli';

export interface Actor {
  memberId: string;
  name: string;
  role: 'fasilitator' | 'admin';
  /** 'all' for admins. */
  villages: 'all' | string[];
  language: 'id' | 'en';
  via: Via;
  /** A staff member of the chat simulator (in chat only): limited to the simulator's people and reports. */
  simulatorOnly?: true;
}

export const WORKSPACE_ROLES = ['fasilitator', 'admin'] as const;

export function isWorkspaceRole(role: unknown): role is Actor['role'] {
  return role === 'fasilitator' || role === 'admin';
}

/** Loads the member as an actor, or null when they have no workspace access (any more). */
export async function actorFor(memberId: string | Types.ObjectId, via: Via): Promise<Actor | null> {
  const member = await findMemberForAccess(memberId);
  if (!member || !isWorkspaceRole(member.role)) return null;
  const simulator = isSimulatorPerson(member);
  if (simulator && via !== 'chat') return null;
  // The same rule as chat's jadwal and siaran: their own village plus an admin's assignment.
  const villages: Actor['villages'] = member.role === 'fasilitator' ? await villagesOf({ _id: member._id, role: member.role, villageCode: member.villageCode ?? null }) : 'all';
  return {
    memberId: String(member._id),
    name: member.name ?? '(tanpa nama)',
    role: member.role,
    villages,
    language: member.language === 'en' ? 'en' : 'id',
    via,
    ...(simulator ? { simulatorOnly: true as const } : {}),
  };
}

export function canSeeVillage(actor: Actor, code: string | null | undefined): boolean {
  if (actor.villages === 'all') return true;
  return !!code && actor.villages.includes(code);
}

export function assertVillage(actor: Actor, code: string | null | undefined): void {
  if (!canSeeVillage(actor, code)) throw notFound('village');
}

export function assertAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw forbidden('Only an admin may do this.');
}

/**
 * A MongoDB filter on `field` limited to the actor's villages, intersected with the village
 * asked for. Returns null when the request can only find nothing (a village out of reach).
 */
export function villageFilter(actor: Actor, field: string, wanted?: string | string[]): Record<string, unknown> | null {
  const asked = wanted === undefined ? undefined : Array.isArray(wanted) ? wanted : [wanted];
  if (actor.villages === 'all') return asked ? { [field]: { $in: asked } } : {};
  const allowed = asked ? asked.filter((c) => actor.villages.includes(c)) : actor.villages;
  if (asked && allowed.length === 0) return null;
  return { [field]: { $in: allowed } };
}
