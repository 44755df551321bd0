// Proposes a backbone manifest for an ONNX file from the shapes its outputs take (no hand-written JSON): a CNN's
// feature maps at input/8 and input/16 (torchvision's layer2 and layer3), or a vision transformer's token sequence
// [1, k + (H/p)(W/p), C] with k class and register tokens (DINOv2 ViT-S/14 with 4 registers: k = 5, p = 14). The
// graph is run on zero images through the factory's GraphProbe, on either onnxruntime flavour.
import { gridMatches, type GraphProbe } from './factory';
import type { BackboneManifest, Distance } from './manifest';
import { isKnownBackbone } from './manifests';

/** torchvision's and timm's ImageNet normalisation, which most published networks were trained with. */
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

/** Square sizes tried, in order, until the graph runs: the usual ImageNet size, DINOv2's, then others. */
const PROBE_SIZES = [224, 518, 448, 256, 384, 512];
/** Transformer patch sizes recognised (ViT-S/14 and friends, ViT-B/16, DINO ViT-S/8). */
const PATCH_SIZES = [14, 16, 8];
/** Class plus register tokens tried before the patch tokens (DINOv2 with registers: 1 + 4). */
const MAX_PREFIX = 5;

export interface ProposeOptions {
  /** The ONNX file's name: the manifest's id comes from it. */
  fileName: string;
  mean?: [number, number, number];
  std?: [number, number, number];
  /** The square input to probe and to write as inputSize; default: the first of PROBE_SIZES the graph takes. */
  inputSize?: number;
  /** Who reads the notes: the command line's flags, or the app, where a manifest file given with the model sets them. Default 'cli'. */
  audience?: 'cli' | 'app';
}

/** The manifest's JSON fields (for parseManifest), and what was found, in sentences. */
export interface Proposal {
  // The manifest's own fields, except what a proposal cannot know (url, offsets, licence) and its taps as JSON.
  manifest: Pick<BackboneManifest, 'id' | 'label' | 'description' | 'inputName' | 'inputSize' | 'inputMultiple' | 'mean' | 'std' | 'distance'> & {
    taps: ProposedTap[];
  };
  notes: string[];
}

type ProposedTap =
  | { output: string; stride: number; channels: number }
  | { output: string; kind: 'tokens'; patchSize: number; prefixTokens: number; channels: number };

function fail(msg: string): never {
  throw new Error(msg);
}

/** A manifest id from a file name: its stem, in the characters an id may hold, never a built-in backbone's. */
export function idFromFileName(fileName: string): string {
  const stem = (fileName.split(/[\\/]/).pop() ?? '').replace(/\.onnx$/i, '');
  const id = stem.replace(/[^\w.-]+/g, '_').replace(/^[._-]+/, '').slice(0, 64) || 'custom_backbone';
  return isKnownBackbone(id) ? `${id.slice(0, 57)}_custom` : id;
}

const shapeText = (dims: readonly number[]) => `[${dims.join(', ')}]`;

interface TokenMatch {
  output: string;
  patchSize: number;
  prefixTokens: number;
  channels: number;
}

/** Token outputs of a square S px input and the (patch size, prefix) readings of their count. */
function tokenMatches(shapes: Record<string, number[]>, S: number): TokenMatch[] {
  const found: TokenMatch[] = [];
  for (const [output, d] of Object.entries(shapes)) {
    if (d.length !== 3 || d[0] !== 1) continue;
    for (const p of PATCH_SIZES) {
      if (S % p !== 0) continue;
      const k = d[1] - (S / p) ** 2;
      if (k >= 0 && k <= MAX_PREFIX) found.push({ output, patchSize: p, prefixTokens: k, channels: d[2] });
    }
  }
  return found;
}

/** Does a token reading hold at H x W? */
const tokensFit = (m: TokenMatch, d: number[] | undefined, H: number, W: number) =>
  !!d && d.length === 3 && d[1] === m.prefixTokens + (H / m.patchSize) * (W / m.patchSize) && d[2] === m.channels;

/** Does a map keep its stride at H x W? */
const mapFits = (stride: number, d: number[] | undefined, H: number, W: number) =>
  !!d && d.length === 4 && gridMatches(d[2], H, stride) && gridMatches(d[3], W, stride);

/** Runs the graph at H x W; null when it fails there. */
async function tryShapes(probe: GraphProbe, H: number, W: number): Promise<Record<string, number[]> | null> {
  try {
    return await probe.shapes(H, W);
  } catch {
    return null;
  }
}

/**
 * The smallest multiple (of the candidates) whose other sizes the graph takes with whole grids: it is run at
 * S x (S + 2k) and (S + k) x S, as the factory's own check and 'fit' would. undefined: square inputs only.
 */
async function findMultiple(probe: GraphProbe, S: number, candidates: number[], fits: (shapes: Record<string, number[]>, H: number, W: number) => boolean) {
  for (const k of candidates) {
    if (S % k !== 0) continue;
    const wide = await tryShapes(probe, S, S + 2 * k);
    if (!wide || !fits(wide, S, S + 2 * k)) continue;
    const tall = await tryShapes(probe, S + k, S);
    if (tall && fits(tall, S + k, S)) return k;
  }
  return undefined;
}

/** Prefers an output whose name says what it is (torchvision's layer2/layer3, transformers' last_hidden_state). */
function pick<T extends { output: string }>(items: T[], name: RegExp, fallback: 'first' | 'last'): T {
  return items.find((i) => name.test(i.output)) ?? (fallback === 'first' ? items[0] : items[items.length - 1]);
}

/**
 * Proposes the manifest of the graph behind `probe`: its one image input, and either two CNN maps (stride 8 and 16),
 * or a transformer's patch tokens (one tap, cosine distance), or a single CNN map at stride 8 or 16. Throws a
 * sentence listing the outputs' shapes when none of them fits.
 */
export async function proposeManifest(probe: GraphProbe, opts: ProposeOptions): Promise<Proposal> {
  const ins = probe.inputNames;
  if (ins.length !== 1) fail(`The model has ${ins.length} inputs (${ins.join(', ')}); a backbone must take exactly one image input [1, 3, H, W]`);
  const notes: string[] = [];
  let S = 0;
  let shapes: Record<string, number[]> | null = null;
  let firstError = '';
  for (const size of opts.inputSize ? [opts.inputSize] : PROBE_SIZES) {
    try {
      shapes = await probe.shapes(size, size);
      S = size;
      break;
    } catch (e) {
      firstError ||= `${(e as Error).message}`;
    }
  }
  if (!shapes) {
    const tried = (opts.inputSize ? [opts.inputSize] : PROBE_SIZES).map((s) => `${s}x${s}`).join(', ');
    const how = opts.audience === 'app' ? 'choose a manifest (.json) with the model that gives its inputSize' : 'give the size it takes with --input-size';
    fail(`The model did not run on a [1, 3, S, S] image at any of ${tried} px (${firstError}); ${how}`);
  }
  const all = Object.entries(shapes).map(([o, d]) => `${o} ${shapeText(d)}`).join(', ');

  const maps = (stride: number) =>
    Object.entries(shapes!)
      .filter(([, d]) => d.length === 4 && d[0] === 1 && gridMatches(d[2], S, stride) && gridMatches(d[3], S, stride))
      .map(([output, d]) => ({ output, channels: d[1] }));
  const m8 = maps(8);
  const m16 = maps(16);
  const tokens = tokenMatches(shapes, S);

  let taps: ProposedTap[];
  let inputMultiple: number | undefined;
  let distance: Distance | undefined;
  if (m8.length && m16.length) {
    const a = pick(m8, /layer2|stride8/i, 'first');
    const b = pick(m16, /layer3|stride16/i, 'first');
    taps = [
      { output: a.output, stride: 8, channels: a.channels },
      { output: b.output, stride: 16, channels: b.channels },
    ];
    notes.push(`${a.output} ${shapeText(shapes[a.output])} is the stride-8 map and ${b.output} ${shapeText(shapes[b.output])} the stride-16 map of a ${S} px input`);
    for (const [list, used, stride] of [[m8, a, 8], [m16, b, 16]] as const) {
      const others = list.filter((m) => m !== used).map((m) => m.output);
      if (others.length) notes.push(`Also at stride ${stride}, not used: ${others.join(', ')}`);
    }
    inputMultiple = await findMultiple(probe, S, [16, 32], (sh, H, W) => mapFits(8, sh[a.output], H, W) && mapFits(16, sh[b.output], H, W));
  } else if (tokens.length) {
    const t = pick(tokens, /last_hidden_state/i, 'last');
    const others = [...new Set(tokens.filter((x) => x.output !== t.output).map((x) => x.output))];
    taps = [{ output: t.output, kind: 'tokens', patchSize: t.patchSize, prefixTokens: t.prefixTokens, channels: t.channels }];
    distance = 'cosine';
    const grid = S / t.patchSize;
    notes.push(
      `${t.output} ${shapeText(shapes[t.output])} holds ${t.prefixTokens} class/register token${t.prefixTokens === 1 ? '' : 's'} and ${grid}x${grid} ` +
        `patch tokens of ${t.patchSize} px for a ${S} px input; features are compared by cosine distance`,
    );
    if (others.length) notes.push(`Also token outputs, not used: ${others.join(', ')}`);
    inputMultiple = await findMultiple(probe, S, [t.patchSize], (sh, H, W) => tokensFit(t, sh[t.output], H, W));
  } else if (m8.length || m16.length) {
    const stride = m8.length ? 8 : 16;
    const a = pick(m8.length ? m8 : m16, /layer/i, 'first');
    taps = [{ output: a.output, stride, channels: a.channels }];
    notes.push(
      `Only one feature map fits: ${a.output} ${shapeText(shapes[a.output])} at stride ${stride}; the model uses it alone ` +
        `(export layer2 and layer3 both for the paper's features)`,
    );
    inputMultiple = await findMultiple(probe, S, [16, 32], (sh, H, W) => mapFits(stride, sh[a.output], H, W));
  } else {
    fail(
      `No output of the model is a feature map at 1/8 or 1/16 of a ${S} px input ([1, C, ${S / 8}, ${S / 8}] or [1, C, ${S / 16}, ${S / 16}]), ` +
        `nor patch tokens [1, k + (${S}/p)^2, C] for a patch size p of ${PATCH_SIZES.join(', ')} and up to ${MAX_PREFIX} class/register tokens k. ` +
        `Its outputs are: ${all}`,
    );
  }
  notes.push(
    inputMultiple
      ? `It takes other sizes in multiples of ${inputMultiple} px ("inputMultiple"), so images keep their shape`
      : `It takes only ${S}x${S} inputs, so images are squashed to that square (export with dynamic height and width axes to keep their shape)`,
  );
  const mean = opts.mean ?? IMAGENET_MEAN;
  const std = opts.std ?? IMAGENET_STD;
  if (!opts.mean || !opts.std) {
    const how = opts.audience === 'app' ? 'choose a manifest (.json) with the model' : 'give --mean and --std';
    notes.push(`mean and std are ImageNet's; ${how} if the network was trained with others`);
  }
  const id = idFromFileName(opts.fileName);
  return {
    manifest: {
      id,
      label: id,
      description: `Custom backbone from ${opts.fileName.split(/[\\/]/).pop()}`,
      inputName: ins[0],
      inputSize: S,
      ...(inputMultiple ? { inputMultiple } : {}),
      mean,
      std,
      taps,
      ...(distance ? { distance } : {}),
    },
    notes,
  };
}
