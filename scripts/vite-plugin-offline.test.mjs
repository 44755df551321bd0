// The offline plugin: the service worker it writes lists exactly the built files with their hashes, its version
// follows their content, and the CSP it puts in the HTML allows this origin only.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, offline } from './vite-plugin-offline.mjs';

const dirs = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function fakeBuild(files, options) {
  const root = mkdtempSync(join(tmpdir(), 'offline-plugin-'));
  dirs.push(root);
  mkdirSync(join(root, 'src/offline'), { recursive: true });
  writeFileSync(join(root, 'src/offline/sw.js'), '/* template */\n');
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(join(root, 'dist', rel, '..'), { recursive: true });
    writeFileSync(join(root, 'dist', rel), body);
  }
  const plugin = offline(options);
  plugin.configResolved({ root, base: '/', command: 'build', build: { outDir: 'dist' }, logger: { info() {} } });
  plugin.closeBundle.handler();
  const sw = readFileSync(join(root, 'dist/sw.js'), 'utf8');
  const precache = JSON.parse(/const PRECACHE = (\[[\s\S]*?\]);/.exec(sw)[1]);
  const version = /const VERSION = "(\w+)";/.exec(sw)[1];
  return { plugin, sw, precache, version };
}

const FILES = {
  'index.html': '<html></html>',
  'harness.html': '<html>h</html>',
  'assets/main-abc.js': 'console.log(1)',
  'assets/main-abc.js.map': '{}',
  'assets/ort-wasm-simd-threaded.asyncify-XYZ.wasm': 'dup',
  'ort/ort-wasm-simd-threaded.asyncify.wasm': 'wasm',
  'models/mobilenet_v2.onnx': 'onnx',
};

describe('offline plugin', () => {
  it('precaches every built file with its size and SHA-256, minus source maps and the excluded', () => {
    const { precache, sw } = fakeBuild(FILES, { exclude: [/^assets\/ort-wasm[^/]*\.wasm$/] });
    expect(precache.map((e) => e.url)).toEqual(['/assets/main-abc.js', '/harness.html', '/index.html', '/models/mobilenet_v2.onnx', '/ort/ort-wasm-simd-threaded.asyncify.wasm']);
    expect(precache.find((e) => e.url === '/index.html')).toEqual({
      url: '/index.html',
      bytes: 13,
      sha256: createHash('sha256').update('<html></html>').digest('hex'),
    });
    expect(sw).toContain('/* template */');
  });

  it('changes its version when any file changes, and only then', () => {
    const a = fakeBuild(FILES).version;
    expect(fakeBuild(FILES).version).toBe(a);
    expect(fakeBuild({ ...FILES, 'models/mobilenet_v2.onnx': 'onnx2' }).version).not.toBe(a);
  });

  it('puts the CSP right after <meta charset> in built HTML only', () => {
    const { plugin } = fakeBuild(FILES);
    const html = plugin.transformIndexHtml('<head>\n<meta charset="UTF-8" />\n<title>x</title>');
    expect(html).toMatch(/<meta charset="UTF-8" \/>\n\s*<meta http-equiv="Content-Security-Policy" content="default-src 'self'; [^"]+" \/>\n<title>/);
    plugin.configResolved({ root: '.', base: '/', command: 'serve', build: { outDir: 'dist' }, logger: { info() {} } });
    expect(plugin.transformIndexHtml('<head><meta charset="UTF-8" />')).not.toContain('Content-Security-Policy');
  });
});

describe('content security policy', () => {
  it('allows this origin only, WASM compilation but no JS eval', () => {
    const csp = contentSecurityPolicy();
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("'unsafe-eval'");
    expect(csp).not.toMatch(/\*|https?:/);
  });

  it('leaves frame-ancestors out of the <meta> form and allows inline scripts only for the dev server', () => {
    expect(contentSecurityPolicy({ meta: true })).not.toContain('frame-ancestors');
    expect(contentSecurityPolicy({ dev: true })).toContain("script-src 'self' 'wasm-unsafe-eval' 'unsafe-inline'");
  });
});
