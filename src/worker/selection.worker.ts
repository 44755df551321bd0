// The Web Worker a SelectionPool starts in the browser: runs selection.ts's requests.
import { handleSelection, type SelectionRequest, type SelectionResponse } from './selection';

const post = (msg: SelectionResponse, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);
self.onmessage = (e: MessageEvent<SelectionRequest>) => void handleSelection(e.data, post);
