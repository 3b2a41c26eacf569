/**
 * A report's voice notes in the workspace: played from GridFS with HTTP Range (phones seek by
 * asking for parts), under the same village check as photos, and transcribed by a facilitator
 * (saved in the answer, audited).
 *
 *   GET  /app/laporan/:id/suara/:questionId            -> 200, or 206 with "Range: bytes=0-1023"
 *   POST /app/laporan/:id/suara/:questionId/transkrip  -> 303 back to the report
 */
import type { Request, Response } from 'express';
import mongoose from 'mongoose';
import { findReportVoiceNote, saveTranscript } from '../db/repositories/voice-notes.js';
import { mediaBucket } from '../media/store.js';
import { canSeeVillage, type Actor } from './access.js';
import { audit } from './audit.js';
import { notFound } from './errors.js';
import type { Ctx } from './service.js';

export const TRANSCRIPT_MAX = 4000;

/** The byte range asked for, 'whole' without one, or null when it cannot be served (416). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'whole' | null {
  if (!header) return 'whole';
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // several ranges or nonsense: not served
  if (m[1] === '') {
    const suffix = Math.min(Number(m[2]), size); // the last N bytes
    return suffix > 0 ? { start: size - suffix, end: size - 1 } : null;
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start < size && start <= end ? { start, end } : null;
}

/** Streams the voice note, whole or the range asked for. */
export async function sendVoiceNote(actor: Actor, reportId: string, questionId: string, req: Request, res: Response): Promise<void> {
  const note = await findReportVoiceNote(reportId, questionId);
  if (!note || !canSeeVillage(actor, note.villageCode) || !note.mediaId) throw notFound('voice note');
  const bucket = mediaBucket();
  const [file] = await bucket.find({ _id: new mongoose.Types.ObjectId(note.mediaId) }).limit(1).toArray();
  if (!file) throw notFound('voice note');
  const size = file.length;
  const contentType = String((file.metadata as { contentType?: unknown } | undefined)?.contentType ?? 'audio/ogg');
  res.setHeader('accept-ranges', 'bytes');
  res.setHeader('cache-control', 'private, max-age=86400');
  res.setHeader('content-type', contentType);
  const range = parseRange(req.get('range'), size);
  if (range === null) {
    res.setHeader('content-range', `bytes */${size}`);
    return void res.status(416).end();
  }
  const part = range === 'whole' ? { start: 0, end: size - 1 } : range;
  if (range !== 'whole') {
    res.status(206);
    res.setHeader('content-range', `bytes ${part.start}-${part.end}/${size}`);
  }
  res.setHeader('content-length', String(part.end - part.start + 1));
  if (size === 0) return void res.end();
  // The driver's end is exclusive.
  const source = bucket.openDownloadStream(file._id, { start: part.start, end: part.end + 1 });
  source.on('error', () => res.destroy());
  source.pipe(res);
}

/** Saves what was said; an empty text clears it. */
export async function transcribe(ctx: Ctx, actor: Actor, reportId: string, questionId: string, text: string): Promise<void> {
  const note = await findReportVoiceNote(reportId, questionId);
  if (!note || !canSeeVillage(actor, note.villageCode)) throw notFound('voice note');
  const now = ctx.now();
  const saved = await saveTranscript(reportId, questionId, text.trim(), actor.name, now);
  if (!saved) throw notFound('voice note');
  await audit(actor, { action: 'report.transcript', targetType: 'submission', targetId: reportId, villageCode: note.villageCode, details: { question: questionId, length: text.trim().length } }, now);
}
