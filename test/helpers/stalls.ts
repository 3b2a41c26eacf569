/**
 * Time this test process was ready to run but had no processor: on a loaded machine every
 * timer fires late and every send waits its turn. Checks of pace and latency subtract it, so
 * they judge the code's own waiting: a dispatcher that sleeps longer than it should is still
 * caught (sleeping is not waiting for a processor), a machine that is busy is not blamed.
 * Read from Linux's scheduler statistics of this thread; elsewhere nothing is subtracted.
 *
 *   const stalls = watchStalls();
 *   ... the timed work, with stalls.sample() at each event that matters ...
 *   expect(to - from - stalls.within(from, to)).toBeLessThan(500);
 */
import { readFileSync } from 'node:fs';

export interface Stalls {
  /** Takes a reading now: call it at the events the check will measure between (each costs a file read, no timer). */
  sample(): void;
  /** Milliseconds of [from, to] (Date.now() times) this thread spent waiting for a processor, from the readings around them. */
  within(from: number, to: number): number;
}

/** Total time this thread has waited on a run queue, ms (the second field of schedstat, ns). */
function runQueueWaitMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6 || 0;
  } catch {
    return 0;
  }
}

/**
 * Readings are taken only when asked (no timer of its own: on a loaded machine every wake-up
 * of a timer waits for a processor too, and would add the very waiting it measures).
 */
export function watchStalls(): Stalls {
  const samples: { at: number; waited: number }[] = [];
  const sample = () => void samples.push({ at: Date.now(), waited: runQueueWaitMs() });
  sample();
  return {
    sample,
    within(from, to) {
      // The readings nearest each bound (one taken at an event shares its millisecond, or the next).
      const nearest = (t: number) => samples.reduce((best, s) => (Math.abs(s.at - t) < Math.abs(best.at - t) ? s : best));
      return Math.max(0, Math.min(to - from, nearest(to).waited - nearest(from).waited));
    },
  };
}
