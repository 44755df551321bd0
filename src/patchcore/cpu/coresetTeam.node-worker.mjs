// A Node thread running one share of a team selection, for coresetTeam.test.ts (the browser uses
// worker/selection.worker.ts). tsx loads the TypeScript.
import { parentPort, workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { runShare } = await tsImport('./coresetTeam.ts', import.meta.url);
runShare(workerData.b, workerData.job, workerData.share).then(
  () => parentPort.postMessage('done'),
  (e) => parentPort.postMessage(e.message),
);
