// One IndexedDB transaction on an idb-keyval store that resolves only once it has committed, and is rolled back if
// its body throws: what the model library and the inspection records both write through.
import { promisifyRequest, type UseStore } from 'idb-keyval';

export function inTransaction<T>(store: UseStore, mode: IDBTransactionMode, body: (s: IDBObjectStore) => Promise<T> | T): Promise<T> {
  return store(mode, async (s) => {
    const done = promisifyRequest(s.transaction);
    done.catch(() => undefined);
    try {
      const result = await body(s);
      await done;
      return result;
    } catch (e) {
      try {
        s.transaction.abort();
      } catch {
        // Already committed or aborted.
      }
      throw e;
    }
  });
}
