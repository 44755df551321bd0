#!/usr/bin/env node
// `npx patchcore-web <command>`: runs the TypeScript command line (src/cli/main.ts) through tsx's ESM API, so the
// engine under src/ runs as it is, with no separate build step.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../src/cli/main.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
