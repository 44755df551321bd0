// A Node thread of the command line's search helpers (worker/searchPool.ts): runs worker/search.ts's requests.
// tsx loads the TypeScript, as bin/patchcore-web.mjs does for the command line itself.
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { searchHelper } = await tsImport('../worker/search.ts', import.meta.url);
const handle = searchHelper((msg, transfer) => parentPort.postMessage(msg, transfer));
parentPort.on('message', handle);
