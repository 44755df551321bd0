// A real drop: File objects built in the page from bytes read in node, put in a DataTransfer, and dispatched as
// dragenter / dragover / drop on the target, exactly as the browser does for an OS drag.
import type { Page } from '@playwright/test';
import type { NodeImage } from './data';

export async function dropFiles(page: Page, selector: string, files: NodeImage[]): Promise<void> {
  await page.locator(selector).waitFor();
  await page.evaluate(
    ({ selector, files }) => {
      const target = document.querySelector(selector);
      if (!target) throw new Error(`drop target ${selector} not found`);
      const dt = new DataTransfer();
      for (const f of files) {
        const bin = atob(f.base64);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        dt.items.add(new File([bytes], f.name, { type: f.mime, lastModified: 0 }));
      }
      const rect = target.getBoundingClientRect();
      const at = { clientX: rect.left + rect.width / 2, clientY: rect.top + rect.height / 2 };
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, composed: true, dataTransfer: dt, ...at }));
      }
    },
    { selector, files },
  );
}
