#!/usr/bin/env node
// npm run wasm: regenerates src/patchcore/wasm/scan.wasm.ts from scan.wat (run it after editing the .wat:
// scripts/build-wasm.test.mjs fails until then).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanModuleSource } from './lib/wat.mjs';

const out = join(import.meta.dirname, '..', 'src', 'patchcore', 'wasm', 'scan.wasm.ts');
writeFileSync(out, await scanModuleSource());
console.log(`wrote ${out}`);
