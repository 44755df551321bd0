// Records every request a page makes, so a spec can assert that nothing left 127.0.0.1.
import type { Page } from '@playwright/test';

export function recordRequests(page: Page): { urls: string[]; external(): string[] } {
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  return {
    urls,
    external: () =>
      urls.filter((u) => {
        if (/^(data|blob|about|chrome-extension|devtools):/.test(u)) return false;
        try {
          const h = new URL(u).hostname;
          return h !== '127.0.0.1' && h !== 'localhost';
        } catch {
          return true;
        }
      }),
  };
}
