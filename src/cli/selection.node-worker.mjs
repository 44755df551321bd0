// A Node thread of the command line's selection pool (selectionThreads.ts): runs worker/selection.ts's requests.
// tsx loads the TypeScript, as bin/patchcore-web.mjs does for the command line itself.
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { handleSelection } = await tsImport('../worker/selection.ts', import.meta.url);
parentPort.on('message', (req) => void handleSelection(req, (msg, transfer) => parentPort.postMessage(msg, transfer)));
