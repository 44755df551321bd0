// Tells the other tabs of this origin that the library changed, so that each re-reads what it shows from IndexedDB.
//
// One BroadcastChannel, 'patchcore-library', carries every change to stored data: models now, inspection records and
// model versions through the same kinds once they exist. A message only says what changed and where (`kind`, `id`);
// a tab that hears one reads the library again instead of trusting the payload, so a lost, late or reordered message
// can leave a list stale until the next one but never wrong. The tab that made a change is not told of it (it
// already knows). Where BroadcastChannel is missing, announcing and listening do nothing: each tab then sees the
// others' changes at its next reload, as before.

export const LIBRARY_CHANNEL = 'patchcore-library';

/** What happened to the library entry `id`. */
export const LIBRARY_CHANGE_KINDS = [
  /** A new model (save, save as). */
  'saved',
  /** A copy of a stored model under a new id. */
  'duplicated',
  /** A model added from a .patchcore file. */
  'imported',
  /** Only the name changed. */
  'renamed',
  /** Other metadata changed (threshold, description...), possibly the name with it. */
  'updated',
  /** Good images were added: the model has a new memory bank (`version`: its bank version). */
  'images-added',
  /** A new stored version of the model (`version`). */
  'version-added',
  /** Deleted (undoable in the tab that deleted it until that tab ends). */
  'deleted',
  /** A delete was undone. */
  'restored',
  /** Inspection records of the model changed. */
  'records-changed',
] as const;

export type LibraryChangeKind = (typeof LIBRARY_CHANGE_KINDS)[number];

export interface LibraryChange {
  kind: LibraryChangeKind;
  /** The model's library id. */
  id: string;
  /** Its name after the change, for messages; a listener reads the stored entry before acting on it. */
  name?: string;
  /** Bank or model version after the change, where it has one. */
  version?: number;
}

export type LibraryChangeListener = (change: LibraryChange) => void;

export interface Announcer {
  /** Tells the other tabs; call it once the change is committed to IndexedDB. Never throws. */
  announce(change: LibraryChange): void;
  /** Calls `listener` for each change another tab announces; returns the function that stops it. */
  onChange(listener: LibraryChangeListener): () => void;
  /** Closes the channel (tests, and tabs that want to stop listening for good). */
  close(): void;
}

type ChannelLike = Pick<BroadcastChannel, 'postMessage' | 'close'> & {
  onmessage: ((e: MessageEvent) => void) | null;
  /** Node's channels keep the process alive unless unref'd. */
  unref?: () => void;
};

export interface AnnouncerOptions {
  /** Channel name (default LIBRARY_CHANNEL); tests use their own so they do not hear each other. */
  channel?: string;
  /** The BroadcastChannel constructor (default: the global one; null or missing: announce and listen do nothing). */
  BroadcastChannel?: (new (name: string) => ChannelLike) | null;
}

/** An announcer on its own channel instance: messages it posts reach every other instance of the same name. */
export function createAnnouncer(options: AnnouncerOptions = {}): Announcer {
  const Channel =
    options.BroadcastChannel === undefined
      ? (globalThis as { BroadcastChannel?: new (name: string) => ChannelLike }).BroadcastChannel
      : options.BroadcastChannel;
  const name = options.channel ?? LIBRARY_CHANNEL;
  const listeners = new Set<LibraryChangeListener>();
  let channel: ChannelLike | null = null;
  let closed = false;

  // Opened on first use, so that importing the library opens no channel (and a Node process is not kept alive).
  const open = (): ChannelLike | null => {
    if (channel || closed || !Channel) return channel;
    try {
      channel = new Channel(name);
    } catch {
      return null;
    }
    channel.unref?.();
    channel.onmessage = (e) => {
      const change = readChange(e.data);
      if (!change) return;
      for (const l of [...listeners]) {
        try {
          l(change);
        } catch (err) {
          console.warn('A listener for library changes in other tabs failed.', err);
        }
      }
    };
    return channel;
  };

  return {
    announce(change) {
      const c = open();
      if (!c) return;
      try {
        c.postMessage(plainChange(change));
      } catch (err) {
        // The change is stored; other tabs will see it at their next refresh.
        console.warn('Could not tell other tabs about a library change.', err);
      }
    },
    onChange(listener) {
      listeners.add(listener);
      open();
      return () => {
        listeners.delete(listener);
      };
    },
    close() {
      closed = true;
      listeners.clear();
      channel?.close();
      channel = null;
    },
  };
}

/** A message as another tab (maybe of another app version) sent it, or null when it is not a change we know. */
export function readChange(data: unknown): LibraryChange | null {
  if (typeof data !== 'object' || data === null) return null;
  const { kind, id, name, version } = data as Record<string, unknown>;
  if (!(LIBRARY_CHANGE_KINDS as readonly unknown[]).includes(kind) || typeof id !== 'string' || id === '') return null;
  const change: LibraryChange = { kind: kind as LibraryChangeKind, id };
  if (typeof name === 'string') change.name = name;
  if (typeof version === 'number' && Number.isFinite(version)) change.version = version;
  return change;
}

function plainChange(c: LibraryChange): LibraryChange {
  const out: LibraryChange = { kind: c.kind, id: c.id };
  if (c.name !== undefined) out.name = c.name;
  if (c.version !== undefined) out.version = c.version;
  return out;
}

let shared: Announcer | null = null;
/** This tab's announcer, opened on first use. */
function tabAnnouncer(): Announcer {
  return (shared ??= createAnnouncer());
}

/** Tells the other tabs of this origin about a committed library change. */
export function announce(change: LibraryChange): void {
  tabAnnouncer().announce(change);
}

/** Listens to the changes other tabs of this origin announce; returns the function that stops listening. */
export function onChange(listener: LibraryChangeListener): () => void {
  return tabAnnouncer().onChange(listener);
}
