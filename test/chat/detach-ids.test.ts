import mongoose, { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { detachIds } from '../../src/conversation/service.js';

const { BSON } = mongoose.mongo;

describe('detachIds (members kept in the conversation cache)', () => {
  it('copies ObjectIds read by the driver into buffers of their own, keeping everything else', () => {
    const runId = new Types.ObjectId();
    const memberId = new Types.ObjectId();
    const at = new Date('2026-11-29T00:00:00Z');
    // As the driver reads them: bson's ObjectIds are slices of Node's shared 8 KB pool.
    const read = BSON.deserialize(BSON.serialize({ _id: memberId, handled: ['a', 'b'], run: { id: runId, state: { answers: { n: 3 } }, startedAt: at }, roleCodeId: null }));
    expect(read._id.id.buffer.byteLength).toBeGreaterThan(12);

    const copy = detachIds(read);
    expect(copy).toEqual(read);
    expect(copy._id).toBeInstanceOf(Types.ObjectId);
    expect(copy._id.equals(memberId)).toBe(true);
    expect(copy.run.id.equals(runId)).toBe(true);
    expect(copy._id.id.buffer.byteLength).toBe(12);
    expect(copy.run.id.id.buffer.byteLength).toBe(12);
    expect(copy.run.startedAt).toBe(read.run.startedAt);
    expect(copy.run).not.toBe(read.run);
    expect(copy.handled).not.toBe(read.handled);
  });
});
