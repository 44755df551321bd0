// The Web Worker a SearchPool starts in the browser: runs search.ts's requests.
import { searchHelper, type SearchRequest, type SearchResponse } from './search';

const handle = searchHelper((msg: SearchResponse, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer));
self.onmessage = (e: MessageEvent<SearchRequest>) => handle(e.data);
