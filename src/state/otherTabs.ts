// Follows the changes other tabs of the app make to the library: their announcements (storage/announce.ts) are
// gathered for a moment, then the model store reads the library again (syncWithOtherTabs), one batch at a time.
import { library, type LibraryChange } from './library';
import { useModel } from './model';

/** Starts following; returns the function that stops. `batchMs`: how long a burst of changes is gathered. */
export function watchOtherTabs(batchMs = 100): () => void {
  let pending: LibraryChange[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<void> = Promise.resolve();
  const flush = () => {
    timer = null;
    const batch = pending;
    pending = [];
    running = running
      .then(() => useModel.getState().syncWithOtherTabs(batch))
      .catch((e) => console.warn('Could not follow a library change made in another window.', e));
  };
  const stop = library.watch((change) => {
    pending.push(change);
    timer ??= setTimeout(flush, batchMs);
  });
  return () => {
    stop();
    if (timer) clearTimeout(timer);
    timer = null;
  };
}
