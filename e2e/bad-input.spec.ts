// Bad input at the engine level: files a user might drop go through the real engine worker (EngineClient
// 'score' and 'build'), and each one either works or is refused with a message naming the file and the problem.
// Every fixture is written here, byte by byte (e2e/helpers/imageBytes.ts).
import { expect, test, type Browser, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { formatBytes } from '../src/lib/format';
import { pipeConsole } from './helpers/app';
import { encodeJpeg, encodePng } from './helpers/imageBytes';

type H = { harness: { decode: typeof import('../src/harness/decode.harness') } };
type Outcome = Awaited<ReturnType<H['harness']['decode']['score']>>;

const photo = (w: number, h: number) =>
  encodeJpeg({ width: w, height: h, components: 3, block: (x, y, c) => (c === 0 ? 60 + ((x * 7 + y * 13) % 150) : 118 + ((x + y) % 20)) });

let page: Page;

async function score(name: string, bytes: Buffer, type = ''): Promise<Outcome> {
  return page.evaluate(([n, b64, t]) => (window as unknown as H).harness.decode.score(n, b64, t), [name, bytes.toString('base64'), type] as const);
}

function refused(o: Outcome): string {
  expect(o.ok, JSON.stringify(o)).toBe(false);
  return (o as { message: string }).message;
}

function accepted(o: Outcome): Extract<Outcome, { ok: true }> {
  expect(o.ok, JSON.stringify(o)).toBe(true);
  const r = o as Extract<Outcome, { ok: true }>;
  expect(Number.isFinite(r.score)).toBe(true);
  return r;
}

/** Resident memory of every process of this browser, in MB (the worker decodes inside a renderer). */
async function browserRssMb(browser: Browser): Promise<() => Promise<number>> {
  const cdp = await browser.newBrowserCDPSession();
  return async () => {
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { id: number }[] };
    let kb = 0;
    for (const p of processInfo) {
      try {
        kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p.id}/status`, 'utf8'))?.[1] ?? 0);
      } catch {
        // the process ended meanwhile
      }
    }
    return kb / 1024;
  };
}

test.describe.configure({ mode: 'serial' });

test.describe('bad input reaching the engine', () => {
  test.beforeAll(async ({ browser }) => {
    test.setTimeout(300_000);
    page = await browser.newPage();
    pipeConsole(page);
    await page.goto('/harness.html');
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    const r = await page.evaluate(() => (window as unknown as H).harness.decode.start());
    expect(r.trainCount).toBe(4);
  });

  test.afterAll(async () => {
    await page.evaluate(() => (window as unknown as H).harness.decode.stop());
    await page.close();
  });

  test('an empty file is refused as empty', async () => {
    expect(refused(await score('empty.png', Buffer.alloc(0), 'image/png'))).toBe('empty.png is empty (0 bytes), so it is not an image');
  });

  test('a text file named .png is refused as not an image', async () => {
    const text = Buffer.from('Shift notes: line 3 stopped at 14:02, restarted 14:20.\n');
    expect(refused(await score('notes.png', text, 'image/png'))).toBe(
      `notes.png is not an image: its contents are not PNG, JPEG, WebP, BMP or GIF (${text.length} bytes)`,
    );
  });

  test('a truncated JPEG or PNG is refused as truncated or corrupt', async () => {
    const jpg = photo(256, 192);
    const cut = jpg.subarray(0, Math.floor(jpg.length * 0.6));
    expect(refused(await score('cut.jpg', cut))).toBe(`cut.jpg looks like a JPEG file but could not be decoded: it may be truncated or corrupt (${formatBytes(cut.length)})`);
    const headerOnly = jpg.subarray(0, 300);
    expect(refused(await score('header.jpg', headerOnly))).toBe(`header.jpg looks like a JPEG file but could not be decoded: it may be truncated or corrupt (300 bytes)`);
    const png = encodePng({ width: 200, height: 150, colorType: 2, bitDepth: 8, sample: (x, y, c) => ((x * 3 + y * (c + 1)) % 256) / 255 });
    const half = png.subarray(0, Math.floor(png.length / 2));
    expect(refused(await score('half.png', half))).toBe(`half.png looks like a PNG file but could not be decoded: it may be truncated or corrupt (${formatBytes(half.length)})`);
  });

  test('a build skips unreadable files with their reasons and trains on the rest', async () => {
    const text = Buffer.from('not an image at all');
    const files = [
      { name: 'empty.png', base64: '' },
      { name: 'notes.png', base64: text.toString('base64') },
      { name: 'cut.jpg', base64: photo(64, 64).subarray(0, 200).toString('base64') },
    ];
    const r = await page.evaluate((f) => (window as unknown as H).harness.decode.buildWith(f), files);
    expect(r.trainCount).toBe(2);
    expect(r.skipped).toEqual([
      { name: 'empty.png', reason: 'empty.png is empty (0 bytes), so it is not an image' },
      { name: 'notes.png', reason: `notes.png is not an image: its contents are not PNG, JPEG, WebP, BMP or GIF (${text.length} bytes)` },
      { name: 'cut.jpg', reason: 'cut.jpg looks like a JPEG file but could not be decoded: it may be truncated or corrupt (200 bytes)' },
    ]);
    // Rebuild the 4-part model the other cases score against.
    await page.evaluate(() => (window as unknown as H).harness.decode.start());
  });

  test('a 16-bit PNG decodes like an 8-bit one', async () => {
    const deep = encodePng({ width: 96, height: 72, colorType: 2, bitDepth: 16, sample: (x, y, c) => (x + y + 10 * c) / 200 });
    const r = accepted(await score('deep16.png', deep, 'image/png'));
    expect([r.width, r.height]).toEqual([96, 72]);
    const grey = encodePng({ width: 40, height: 30, colorType: 0, bitDepth: 16, sample: () => 0.5 });
    const d = await page.evaluate((b64) => (window as unknown as H).harness.decode.decodeHere('grey16.png', b64), grey.toString('base64'));
    expect(d).toMatchObject({ ok: true, width: 40, height: 30 });
    expect((d as { topLeft: number[] }).topLeft).toEqual([128, 128, 128, 255]);
  });

  test('a CMYK JPEG (Adobe, four components) decodes', async () => {
    const cmyk = encodeJpeg({ width: 128, height: 96, components: 4, block: (x, _y, c) => (c === 3 ? 20 : 40 + c * 40 + x) });
    const r = accepted(await score('cmyk.jpg', cmyk, 'image/jpeg'));
    expect([r.width, r.height]).toEqual([128, 96]);
  });

  test('an image smaller than the backbone input (20 x 20) is upscaled and scored', async () => {
    const tiny = encodePng({ width: 20, height: 20, colorType: 2, bitDepth: 8, sample: (x, y, c) => ((x + y) % 2 ? 0.7 : 0.3) + c * 0.05 });
    const r = accepted(await score('tiny.png', tiny, 'image/png'));
    expect([r.width, r.height]).toEqual([20, 20]);
    expect(r.mapWidth).toBe(224);
  });

  test('a phone photo turned by EXIF keeps its proportions when it is downscaled', async () => {
    // 3000 x 1000 stored, orientation 6 (turn 90 degrees clockwise): shown 1000 x 3000.
    const rot = encodeJpeg({ width: 3000, height: 1000, components: 1, block: (x) => (x < 10 ? 250 : 30), exifOrientation: 6 });
    const d = await page.evaluate((b64) => (window as unknown as H).harness.decode.decodeHere('portrait.jpg', b64), rot.toString('base64'));
    expect(d).toMatchObject({ ok: true, width: 683, height: 2048, originalWidth: 1000, originalHeight: 3000 });
    const r = accepted(await score('portrait.jpg', rot, 'image/jpeg'));
    expect([r.width, r.height]).toEqual([1000, 3000]);
  });

  // createImageBitmap with a resize target still decodes at full size in Chrome: for a PNG the peak is about two
  // full-size RGBA copies (measured ~1.1 GB for 144 Mpx), and the bound catches any extra full-size copy of ours
  // (each is 549 MB). A JPEG goes through ImageDecoder at a reduced DCT scale (worker/decode.ts), so it never holds
  // the full size: its bound is far below one full-size copy. The 2048 px result is what the engine keeps.
  for (const [kind, limitMb] of [['png', 1400], ['jpeg', 450]] as const) {
    test(`a 12000 x 12000 ${kind.toUpperCase()} is decoded straight to 2048 px with bounded memory, and scored`, async ({ browser }) => {
      test.setTimeout(300_000);
      const name = `huge.${kind === 'png' ? 'png' : 'jpg'}`;
      const huge =
        kind === 'png'
          ? encodePng({ width: 12000, height: 12000, colorType: 0, bitDepth: 8, sample: (x) => 0.2 + 0.6 * ((x >> 6) % 2), sameRows: true })
          : encodeJpeg({ width: 12000, height: 12000, components: 1, block: (x) => 50 + 150 * ((x >> 3) % 2) });
      const rss = await browserRssMb(browser);
      const before = await rss();
      let peak = before;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, await rss());
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const t0 = Date.now();
      const r = await score(name, huge);
      sampling = false;
      await sampler;
      console.log(`12000 x 12000 ${kind} (${formatBytes(huge.length)}): ${((Date.now() - t0) / 1000).toFixed(1)} s, browser memory ${before.toFixed(0)} -> peak ${peak.toFixed(0)} MB`);
      const ok = accepted(r);
      expect([ok.width, ok.height]).toEqual([12000, 12000]);
      expect(peak - before, 'extra browser memory while decoding, MB').toBeLessThan(limitMb);
      const d = await page.evaluate(([n, b64]) => (window as unknown as H).harness.decode.decodeHere(n, b64), [name, huge.toString('base64')] as const);
      expect(d).toMatchObject({ ok: true, width: 2048, height: 2048, originalWidth: 12000, originalHeight: 12000 });
    });
  }

  test('a folder of 3000 files: progress arrives, cancel stops the build, and the engine still scores', async () => {
    test.setTimeout(300_000);
    const r = await page.evaluate(() => (window as unknown as H).harness.decode.buildAndCancel(3000, 5));
    console.log(`3000-file build: ${r.progressEvents} progress events, last ${JSON.stringify(r.last)}, cancelled after ${r.cancelSeconds.toFixed(2)} s`);
    expect(r.outcome).toBe('cancelled');
    expect(r.first).toMatchObject({ stage: 'features', total: 3000 });
    expect(r.last.done).toBeGreaterThanOrEqual(5);
    expect(r.last.done).toBeLessThan(3000);
    expect(r.cancelSeconds).toBeLessThan(10);
    accepted(await score('after-cancel.jpg', photo(128, 96), 'image/jpeg'));
  });
});
