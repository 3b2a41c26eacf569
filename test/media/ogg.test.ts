/** A voice note's length read from its Ogg container. */
import { describe, expect, it } from 'vitest';
import { oggOpusSeconds } from '../../src/media/ogg.js';
import { oggOpus } from '../helpers/ogg.js';

describe('oggOpusSeconds', () => {
  it('reads the last granule position less the pre-skip', () => {
    expect(oggOpusSeconds(oggOpus(23))).toBe(23);
    expect(oggOpusSeconds(oggOpus(301))).toBe(301);
  });
  it('says nothing of what is not Ogg Opus', () => {
    expect(oggOpusSeconds(Buffer.from('ID3\x04 an mp3', 'latin1'))).toBeUndefined();
    expect(oggOpusSeconds(oggOpus(5).subarray(0, 20))).toBeUndefined();
  });
});
