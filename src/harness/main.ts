// Harness page for Playwright specs, `npm run eval` and `npm run bench`: every `*.harness.ts` module in this
// folder exports functions that are exposed, by file name, on `window.harness` (e.g. harness.kernels.knn).
const modules = import.meta.glob('./*.harness.ts', { eager: true }) as Record<string, Record<string, unknown>>;
const harness: Record<string, Record<string, unknown>> = {};
for (const [path, mod] of Object.entries(modules)) {
  const name = path.replace('./', '').replace('.harness.ts', '');
  harness[name] = mod;
}
(window as unknown as { harness: typeof harness }).harness = harness;
document.body.dataset.ready = 'true';
