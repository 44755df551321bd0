#!/usr/bin/env node
// npm run bench -- webcam [--seconds 20] [--images 6]: scored frames per second of the Webcam view on Chromium's
// fake camera (a 320 x 240 clip this suite writes), with a model built from stills of the same scene at 224 px,
// counted over a window after a warm-up: frames scored back to back, each the latest one the camera delivered.
// Against the built app (PATCHCORE_DIST, else dist/). Writes bench-results/webcam.json.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { launchChromium, pipeConsole } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { dist, opt, requireBuild, root } from './_args.mjs';

requireBuild();
const { encodePng, scene, writeY4m } = await tsImport('../../e2e/helpers/media.ts', import.meta.url);
const seconds = Number(opt('seconds', 20));
const images = Number(opt('images', 6));
const W = 320, H = 240;
const dir = mkdtempSync(join(tmpdir(), 'bench-webcam-'));
const clip = join(dir, 'pattern.y4m');
writeY4m(clip, 64, W, H);
const stills = Array.from({ length: images }, (_, i) => {
  const p = join(dir, `still_${i}.png`);
  writeFileSync(p, encodePng(scene(i * 9, W, H), W, H));
  return p;
});

const server = await startServer({ root: dist });
const browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${clip}`]);
let result;
try {
  const page = await browser.newPage();
  pipeConsole(page, 'webcam');
  await page.goto(`${server.url}/`);
  const info = page.getByTestId('engine-info');
  await info.and(page.locator('[data-status="ready"]')).waitFor({ timeout: 180_000 });
  await page.getByTestId('tab-build').click();
  await page.getByTestId('good-dropzone-input').setInputFiles(stills);
  await page.getByTestId('good-count').and(page.locator(`text=${images} images`)).waitFor();
  await page.getByTestId('build-button').click();
  await page.getByTestId('calibration').waitFor({ timeout: 600_000 });
  const execution = await info.getAttribute('data-execution').catch(() => null);
  await page.getByTestId('tab-webcam').click();
  await page.getByTestId('camera-start').click();
  const fps = page.getByTestId('camera-fps');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="camera-fps"]')?.getAttribute('data-frames') ?? 0) >= 5, null, { timeout: 180_000 });
  const frames = async () => Number(await fps.getAttribute('data-frames'));
  const f0 = await frames();
  const t0 = performance.now();
  await page.waitForTimeout(seconds * 1000);
  const f1 = await frames();
  const elapsed = (performance.now() - t0) / 1000;
  const size = await page.getByTestId('camera-size').textContent();
  result = { framesScored: f1 - f0, seconds: elapsed, scoredFps: (f1 - f0) / elapsed, shown: await fps.textContent(), size, execution, clip: `${W} x ${H}` };
} finally {
  await browser.close();
  server.close();
}
console.log('\n| camera clip | model | scored frames | window s | scored frames/s | the view showed |');
console.log('| --- | --- | --- | --- | --- | --- |');
console.log(`| ${result.clip} | ${result.size} | ${result.framesScored} | ${result.seconds.toFixed(1)} | ${result.scoredFps.toFixed(1)} | ${result.shown} |`);
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'webcam.json'), JSON.stringify(result, null, 2));
console.log('\nwrote bench-results/webcam.json');
