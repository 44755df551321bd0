// Library changes reach the other tabs: two announcers on one channel name stand for two tabs of one origin.
import { afterEach, describe, expect, it } from 'vitest';
import { createAnnouncer, readChange, type Announcer, type LibraryChange } from './announce';

const open: Announcer[] = [];
afterEach(() => {
  for (const a of open.splice(0)) a.close();
});

let n = 0;
/** Two "tabs" on a channel of their own, so tests running side by side do not hear each other. */
function twoTabs(): [Announcer, Announcer] {
  const channel = `announce-test-${++n}-${crypto.randomUUID()}`;
  const tabs: [Announcer, Announcer] = [createAnnouncer({ channel }), createAnnouncer({ channel })];
  open.push(...tabs);
  return tabs;
}

/** Resolves with the first `count` changes `tab` hears. */
function heard(tab: Announcer, count: number): Promise<LibraryChange[]> {
  const got: LibraryChange[] = [];
  return new Promise((resolve) => {
    const stop = tab.onChange((c) => {
      got.push(c);
      if (got.length === count) {
        stop();
        resolve(got);
      }
    });
  });
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('library changes announced to other tabs', () => {
  it('reach the other tab in the order they were made, with their kind, id, name and version', async () => {
    const [a, b] = twoTabs();
    const inB = heard(b, 3);
    a.announce({ kind: 'saved', id: 'm1', name: 'Bottle', version: 1 });
    a.announce({ kind: 'renamed', id: 'm1', name: 'Bottle, top' });
    a.announce({ kind: 'deleted', id: 'm1' });
    expect(await inB).toEqual([
      { kind: 'saved', id: 'm1', name: 'Bottle', version: 1 },
      { kind: 'renamed', id: 'm1', name: 'Bottle, top' },
      { kind: 'deleted', id: 'm1' },
    ]);
  });

  it('are not echoed back to the tab that made them', async () => {
    const [a, b] = twoTabs();
    const inA: LibraryChange[] = [];
    a.onChange((c) => inA.push(c));
    const inB = heard(b, 1);
    a.announce({ kind: 'images-added', id: 'm2', version: 3 });
    await inB;
    await settle();
    expect(inA).toEqual([]);
  });

  it('carry record and version changes through the same channel', async () => {
    const [a, b] = twoTabs();
    const inB = heard(b, 2);
    a.announce({ kind: 'records-changed', id: 'm3' });
    a.announce({ kind: 'version-added', id: 'm3', version: 2 });
    expect((await inB).map((c) => c.kind)).toEqual(['records-changed', 'version-added']);
  });

  it('stop reaching a listener once it unsubscribed, while the others still hear them', async () => {
    const [a, b] = twoTabs();
    const stopped: LibraryChange[] = [];
    const stop = b.onChange((c) => stopped.push(c));
    stop();
    const inB = heard(b, 1);
    a.announce({ kind: 'restored', id: 'm4' });
    expect(await inB).toEqual([{ kind: 'restored', id: 'm4' }]);
    expect(stopped).toEqual([]);
  });

  it('ignore messages that are not library changes (another app version, a stray post) and keep listening', async () => {
    const channel = `announce-test-${++n}-${crypto.randomUUID()}`;
    const b = createAnnouncer({ channel });
    open.push(b);
    const inB = heard(b, 1);
    const raw = new BroadcastChannel(channel);
    try {
      raw.postMessage('hello');
      raw.postMessage({ kind: 'exploded', id: 'm5' });
      raw.postMessage({ kind: 'saved' });
      raw.postMessage({ kind: 'saved', id: 'm5', name: 7, version: 'two', extra: true });
      expect(await inB).toEqual([{ kind: 'saved', id: 'm5' }]);
    } finally {
      raw.close();
    }
  });

  it('keep going when one listener throws', async () => {
    const [a, b] = twoTabs();
    b.onChange(() => {
      throw new Error('a broken listener');
    });
    const inB = heard(b, 1);
    a.announce({ kind: 'updated', id: 'm6' });
    expect(await inB).toEqual([{ kind: 'updated', id: 'm6' }]);
  });

  it('do nothing, and throw nothing, where the browser has no BroadcastChannel', async () => {
    const a = createAnnouncer({ BroadcastChannel: null });
    const got: LibraryChange[] = [];
    const stop = a.onChange((c) => got.push(c));
    expect(() => a.announce({ kind: 'saved', id: 'm7' })).not.toThrow();
    stop();
    a.close();
    await settle();
    expect(got).toEqual([]);
  });
});

describe('reading a message from another tab', () => {
  it('keeps only the known fields of a known kind', () => {
    expect(readChange({ kind: 'deleted', id: 'x', name: 'Bottle', version: 2, bank: new Float32Array(4) })).toEqual({
      kind: 'deleted',
      id: 'x',
      name: 'Bottle',
      version: 2,
    });
    expect(readChange({ kind: 'deleted', id: '' })).toBeNull();
    expect(readChange(null)).toBeNull();
  });
});
