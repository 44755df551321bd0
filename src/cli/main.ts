// `patchcore-web <command>`: build, export and inspect models outside the browser, on the app's engine and file
// format, and propose a custom backbone's manifest. Run through bin/patchcore-web.mjs (npx patchcore-web ...). Exit codes: inspect 0 all pass, 1 any fail,
// 2 errors; every other command 0 on success, 2 on errors.
import { parseArgs } from 'node:util';
import type { WorkingSizeChoice } from '../patchcore/config';
import { parseWorkingSize } from '../patchcore/recipe';
import type { Augment } from '../patchcore/augment';
import { FRAMINGS, type Framing } from '../patchcore/preprocess';
import { parseRegion, type Region } from '../patchcore/region';
import type { Progress } from '../patchcore/types';
import { readCustomBackbone, saveModelFile, buildModel, type CustomBackbone } from './model';
import { engineScorer, exitCode, inspect, type Scorer } from './inspect';
import { writeAtomic } from './model';

const USAGE = `patchcore-web: PatchCore anomaly detection on the command line (same engine and .patchcore files as the app)

  patchcore-web build <folder-of-good-images>... --out model.patchcore
      [--backbone mobilenet_v2_mid|inception_v3|mobilenet_v2] [--coreset 0.1] [--framing fit|squash|crop]
      [--working-size auto|native|224|320|448|640] [--roi x0,y0,x1,y1 (fractions of the image)] [--augment none|flip|rotate] [--seed 0] [--holdout 0.15] [--false-alarm-rate 0.05] [--name NAME]
      [--backbone-onnx FILE.onnx --backbone-manifest FILE.json]   (a custom backbone, as the app's)
  patchcore-web export <model.patchcore> --out DIR [--input uint8|float32] [--name NAME] [--no-verdict]
      [--backbone-onnx ... --backbone-manifest ...]
      writes DIR/<name>.onnx, DIR/<name>.json (sidecar) and DIR/triton/<name>/{config.pbtxt,1/model.onnx}
  patchcore-web inspect <model.patchcore|model.onnx> <folder|files>... [--out DIR] [--overlays] [--threshold T]
      [--records FILE.jsonl] [--backbone-onnx ... --backbone-manifest ...]
      CSV (file, score, verdict, threshold, model) to DIR/results.csv, or to stdout without --out; --records appends
      the app's History records (JSON Lines) to FILE;
      exit 0 when all pass, 1 when any fail, 2 when something could not be inspected
  patchcore-web manifest <backbone.onnx> [--out backbone.json] [--mean R,G,B] [--std R,G,B] [--input-size PX]
      proposes the manifest of your own backbone (a CNN's stride-8 and stride-16 maps, e.g. layer2 and layer3, or a
      vision transformer's patch tokens), checked by running it; to stdout without --out (default mean/std: ImageNet)

Options for every command: --threads N (default: all cores; also PATCHCORE_THREADS), --quiet, --help`;

class UsageError extends Error {}

const STAGES: Record<string, string> = {
  features: 'features',
  coreset: 'coreset',
  calibration: 'calibrating',
  inspect: 'inspecting',
};

/** A one-line progress bar on stderr (redrawn in place on a terminal, a line every 10% otherwise). */
function progressBar(quiet: boolean) {
  const tty = process.stderr.isTTY;
  let lastStage = '';
  let lastTenth = -1;
  const t0 = performance.now();
  return {
    update(p: Progress) {
      if (quiet) return;
      const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
      const label = (STAGES[p.stage] ?? p.stage).padEnd(11);
      const secs = (performance.now() - t0) / 1000;
      if (tty) {
        const width = 30;
        const fill = Math.round(frac * width);
        process.stderr.write(`\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${p.done}/${p.total}  ${secs.toFixed(0)} s  `);
        if (p.done >= p.total) process.stderr.write('\n');
      } else {
        const tenth = Math.floor(frac * 10);
        if (p.stage !== lastStage || tenth !== lastTenth) process.stderr.write(`${label} ${p.done}/${p.total} (${secs.toFixed(0)} s)\n`);
        lastTenth = tenth;
      }
      lastStage = p.stage;
    },
    note(line: string) {
      if (!quiet) process.stderr.write(`${tty ? '\r\x1b[K' : ''}${line}\n`);
    },
  };
}

function number(v: string | undefined, name: string, check: (x: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || !check(x)) throw new UsageError(`--${name} must be ${what}, got "${v}"`);
  return x;
}

/** --working-size (or its older name --input-size), checked by the recipe's one rule. */
function workingSize(values: { 'working-size'?: string; 'input-size'?: string }): WorkingSizeChoice | undefined {
  const flag = values['working-size'] !== undefined ? 'working-size' : 'input-size';
  const v = values[flag];
  if (v === undefined) return undefined;
  try {
    return parseWorkingSize(v, `--${flag}`);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function region(v: string): Region {
  try {
    return parseRegion(v);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function customBackbone(values: Record<string, unknown>): CustomBackbone | undefined {
  const onnx = values['backbone-onnx'] as string | undefined;
  const manifest = values['backbone-manifest'] as string | undefined;
  if (!onnx && !manifest) return undefined;
  if (!onnx || !manifest) throw new UsageError('A custom backbone needs both --backbone-onnx FILE.onnx and --backbone-manifest FILE.json');
  return readCustomBackbone(onnx, manifest);
}

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  quiet: { type: 'boolean', short: 'q' },
  threads: { type: 'string' },
  out: { type: 'string', short: 'o' },
  'backbone-onnx': { type: 'string' },
  'backbone-manifest': { type: 'string' },
} as const;

async function build(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...COMMON,
      backbone: { type: 'string' },
      coreset: { type: 'string' },
      framing: { type: 'string' },
      'working-size': { type: 'string' },
      'input-size': { type: 'string' },
      roi: { type: 'string' },
      augment: { type: 'string' },
      seed: { type: 'string' },
      holdout: { type: 'string' },
      'false-alarm-rate': { type: 'string' },
      name: { type: 'string' },
    },
  });
  if (values.help) return usage();
  if (!positionals.length) throw new UsageError('build needs a folder (or files) of good images');
  if (!values.out) throw new UsageError('build needs --out model.patchcore');
  if (values.framing && !FRAMINGS.includes(values.framing as Framing)) throw new UsageError(`--framing must be one of ${FRAMINGS.join(', ')}`);
  const bar = progressBar(!!values.quiet);
  const custom = customBackbone(values);
  const built = await buildModel(positionals, {
    backbone: values.backbone,
    custom,
    coresetRatio: number(values.coreset, 'coreset', (x) => x > 0 && x <= 1, 'a fraction in (0, 1], e.g. 0.1'),
    framing: values.framing as Framing | undefined,
    workingSize: workingSize(values),
    region: values.roi === undefined ? undefined : region(values.roi),
    augment: values.augment as Augment | undefined,
    seed: number(values.seed, 'seed', Number.isInteger, 'a whole number'),
    holdoutShare: number(values.holdout, 'holdout', (x) => x >= 0.05 && x <= 0.5, 'a share from 0.05 to 0.5'),
    falseAlarmRate: number(values['false-alarm-rate'], 'false-alarm-rate', (x) => x > 0 && x < 1, 'a rate in (0, 1), e.g. 0.05'),
    name: values.name,
    threads: number(values.threads, 'threads', (x) => Number.isInteger(x) && x > 0, 'a positive whole number'),
    onProgress: (p) => bar.update(p),
    onSkip: (s) => bar.note(`skipped ${s.name}: ${s.reason}`),
  });
  await saveModelFile(values.out, built.meta, built.bank);
  const m = built.meta;
  bar.note(
    `${values.out}: "${m.name}", ${m.trainImageCount} images at ${m.config.workingSize} px (${m.patchCount} patches) -> bank ${m.bankShape.rows} x ${m.bankShape.cols}, ` +
      `threshold ${m.calibration.threshold.toPrecision(4)} (false-alarm rate ${m.calibration.falseAlarmRate} on ${built.holdout.length} held-out images), ` +
      `${built.seconds.toFixed(1)} s${built.skipped.length ? `; ${built.skipped.length} skipped` : ''}`,
  );
  if (built.calibrationNote) bar.note(built.calibrationNote);
  return 0;
}

async function openScorer(model: string, custom: CustomBackbone | undefined, threads?: number): Promise<Scorer> {
  if (/\.onnx$/i.test(model)) {
    const { graphScorer } = await import('./graphScorer');
    return graphScorer(model, threads);
  }
  return engineScorer(model, custom, threads);
}

async function inspectCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...COMMON, overlays: { type: 'boolean' }, threshold: { type: 'string' }, records: { type: 'string' } },
  });
  if (values.help) return usage();
  if (positionals.length < 2) throw new UsageError('inspect needs a model (.patchcore or .onnx) and at least one image or folder');
  if (values.overlays && !values.out) throw new UsageError('--overlays needs --out DIR to write them to');
  const threshold = number(values.threshold, 'threshold', (x) => x >= 0, 'a score (a number >= 0)');
  const threads = number(values.threads, 'threads', (x) => Number.isInteger(x) && x > 0, 'a positive whole number');
  const scorer = await openScorer(positionals[0], customBackbone(values), threads);
  const bar = progressBar(!!values.quiet);
  try {
    const report = await inspect(scorer, positionals.slice(1), {
      outDir: values.out,
      overlays: values.overlays,
      threshold,
      records: values.records,
      onProgress: (done, total) => bar.update({ stage: 'inspect', done, total }),
      onError: (e) => bar.note(`could not inspect ${e.name}: ${e.reason}`),
    });
    if (!values.out) process.stdout.write(report.csv);
    const fails = report.rows.filter((r) => r.verdict === 'fail').length;
    const n = report.rows.length;
    bar.note(
      `${n} inspected in ${report.seconds.toFixed(1)} s (${(n / Math.max(report.seconds, 1e-9)).toFixed(1)} images/s): ${n - fails} pass, ${fails} fail` +
        `${report.errors.length ? `, ${report.errors.length} could not be inspected` : ''}${values.out ? `; results in ${values.out}` : ''}`,
    );
    return exitCode(report);
  } finally {
    await scorer.release();
  }
}

async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...COMMON, input: { type: 'string' }, name: { type: 'string' }, 'no-verdict': { type: 'boolean' } },
  });
  if (values.help) return usage();
  if (positionals.length !== 1) throw new UsageError('export needs one model (.patchcore)');
  if (!values.out) throw new UsageError('export needs --out DIR');
  if (values.input && values.input !== 'uint8' && values.input !== 'float32') throw new UsageError('--input must be uint8 or float32');
  const { exportModel } = await import('./export');
  const r = await exportModel(positionals[0], values.out, {
    custom: customBackbone(values),
    inputType: values.input as 'uint8' | 'float32' | undefined,
    name: values.name,
    verdict: !values['no-verdict'],
  });
  const bar = progressBar(!!values.quiet);
  bar.note(`${r.onnx} (${(r.bytes / 2 ** 20).toFixed(1)} MB), ${r.sidecar}, Triton repository ${r.triton}`);
  return 0;
}

/** --mean / --std: three numbers, as "0.5,0.5,0.5". */
function rgb(v: string | undefined, name: string): [number, number, number] | undefined {
  if (v === undefined) return undefined;
  const x = v.split(',').map((s) => Number(s.trim()));
  if (x.length !== 3 || !x.every(Number.isFinite) || (name === 'std' && x.some((s) => s <= 0))) {
    throw new UsageError(`--${name} must be three ${name === 'std' ? 'positive ' : ''}numbers for R, G, B, e.g. ${name === 'std' ? '0.229,0.224,0.225' : '0.485,0.456,0.406'}, got "${v}"`);
  }
  return x as [number, number, number];
}

async function manifestCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...COMMON, mean: { type: 'string' }, std: { type: 'string' }, 'input-size': { type: 'string' } },
  });
  if (values.help) return usage();
  if (positionals.length !== 1) throw new UsageError('manifest needs one backbone (.onnx)');
  const { proposeManifestFile } = await import('./manifest');
  const r = await proposeManifestFile(
    positionals[0],
    {
      mean: rgb(values.mean, 'mean'),
      std: rgb(values.std, 'std'),
      inputSize: number(values['input-size'], 'input-size', (x) => Number.isInteger(x) && x >= 32 && x <= 1024, 'a whole number of pixels from 32 to 1024'),
    },
    number(values.threads, 'threads', (x) => Number.isInteger(x) && x > 0, 'a positive whole number'),
  );
  const bar = progressBar(!!values.quiet);
  for (const n of r.notes) bar.note(`${n}.`);
  if (values.out) {
    writeAtomic(values.out, r.json);
    bar.note(`${values.out}: manifest "${r.manifest.id}"; use it with --backbone-onnx ${positionals[0]} --backbone-manifest ${values.out}, or load both under Build > Options`);
  } else process.stdout.write(r.json);
  return 0;
}

function usage(): number {
  process.stdout.write(`${USAGE}\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'build':
        return await build(rest);
      case 'inspect':
        return await inspectCommand(rest);
      case 'export':
        return await exportCommand(rest);
      case 'manifest':
        return await manifestCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        return usage();
      default:
        throw new UsageError(`Unknown command "${command}"`);
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    // parseArgs reports unknown flags with its own error codes.
    const usageLike = e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`patchcore-web ${command ?? ''}: ${err.message}\n${usageLike ? '\nRun `patchcore-web --help` for the commands and flags.\n' : ''}`);
    if (process.env.PATCHCORE_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 2;
  }
}
