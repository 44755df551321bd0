import { describe, expect, it } from 'vitest';
import { borrowEngine, whileScoring } from './engineLock';

const later = () => {
  let resolve!: () => void;
  const p = new Promise<void>((r) => (resolve = r));
  return { p, resolve };
};

describe('engine lock', () => {
  it('a borrow waits for the image being scored, and scoring waits for the borrow to end', async () => {
    const log: string[] = [];
    const inFlight = later();
    const first = whileScoring(async () => {
      log.push('score 1 starts');
      await inFlight.p;
      log.push('score 1 ends');
    });
    const borrow = borrowEngine(async () => {
      log.push('borrow starts');
      await new Promise((r) => setTimeout(r, 5));
      log.push('borrow ends');
    });
    const second = whileScoring(async () => void log.push('score 2'));
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual(['score 1 starts']);
    inFlight.resolve();
    await Promise.all([first, borrow, second]);
    expect(log).toEqual(['score 1 starts', 'score 1 ends', 'borrow starts', 'borrow ends', 'score 2']);
  });

  it('a failed borrow still frees the engine', async () => {
    await expect(borrowEngine(async () => Promise.reject(new Error('extend failed')))).rejects.toThrow('extend failed');
    expect(await whileScoring(async () => 7)).toBe(7);
  });
});
