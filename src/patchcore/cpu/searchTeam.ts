// One nearest-neighbour call split over threads: the bank index (bankIndex.ts) searches on one thread, so on a
// laptop with cores to spare the call's patches are cut into shares, whole grid rows each, and every other thread
// searches one share with its own copy of the same index (restored from the same stored part, so the answers are
// the same). Which threads exist is the caller's business (a Web Worker pool in the app, Node threads on the
// command line: src/worker/searchPool.ts); this module only splits, sends and joins, and searches a share itself
// whenever a helper is not ready or fails, so a call never waits on a broken thread or gives another answer.
// The same helpers take shares of a large image's preprocessing too (teamPreprocess): they would otherwise wait
// while the engine's thread resizes it alone.
import { checkImage, geometryOf, imageWindow, preprocess, preprocessRows, sourceBand, type BackboneInput, type ImageWindow, type InputGeometry, type Normalisation, type PreprocessOptions, type RgbaImage } from '../preprocess';
import type { Matrix, NearestResult } from '../types';
import type { BankIndex, SearchStats } from './bankIndex';

/** Other threads that hold a copy of an index. */
export interface SearchTeam {
  /** Helper threads (the calling thread searches a share too). */
  readonly size: number;
  /** Sends the index to every helper, which restores its own copy; later calls use a helper once it is ready. */
  adopt(index: BankIndex): void;
  /** Whether helper `h` holds this index and works. */
  ready(h: number, index: BankIndex): boolean;
  /** The 1-NN of `queries` on helper `h` (a grid this wide when gridW > 0), as index.nearest answers them. */
  nearest(h: number, index: BankIndex, queries: Matrix, gridW: number): Promise<NearestResult & { stats: SearchStats }>;
  /** Whether helper `h` is running and works (it needs no index to preprocess). */
  alive(h: number): boolean;
  /** preprocessRows() of a share on helper `h`; `share.image.data` may be transferred (the caller gives a copy). */
  preprocess(h: number, share: PreprocessShare): Promise<Float32Array>;
}

/** The arguments of preprocessRows() for a share: the image's rows from firstRow on, and which input rows to make. */
export interface PreprocessShare {
  image: RgbaImage;
  firstRow: number;
  norm: Normalisation;
  geometry: InputGeometry;
  y0: number;
  y1: number;
}

/**
 * Images with fewer pixels than this are preprocessed on one thread: there the resize takes a few milliseconds,
 * about what sending a share costs (a 1500 x 1000 camera image takes ~30 ms on one thread; docs/speed.md).
 */
export const MIN_SHARED_PIXELS = 500_000;

/** Fewer queries than this per share are searched on one thread: a message costs more than they do. */
export const MIN_SHARE_ROWS = 64;

/**
 * Where the shares of `rows` queries start, for `parts` threads: equal shares of whole grid rows when the grid has
 * enough of them (so the patch above seeds each search but the first of a share), plain equal shares otherwise.
 * The last entry is `rows`.
 */
export function shareStarts(rows: number, parts: number, gridW = 0): number[] {
  const n = Math.max(1, Math.min(parts, Math.floor(rows / MIN_SHARE_ROWS)));
  const unit = gridW > 0 && rows % gridW === 0 && rows / gridW >= n ? gridW : 1;
  const units = rows / unit;
  return Array.from({ length: n + 1 }, (_, i) => Math.round((units * i) / n) * unit);
}

/**
 * The 1-NN of every query through `index`, split over this thread and the team's ready helpers: the answer of
 * index.nearest(queries) for every patch (distances and indices). Stats of all shares land in index.lastStats.
 */
export async function teamNearest(index: BankIndex, team: SearchTeam | null, queries: Matrix, gridW = 0): Promise<NearestResult> {
  const helpers = team ? Array.from({ length: team.size }, (_, h) => h).filter((h) => team.ready(h, index)) : [];
  const starts = shareStarts(queries.rows, helpers.length + 1, gridW);
  if (!team || starts.length <= 2) return index.nearest(queries, { gridW });
  const d = queries.cols;
  const share = (i: number): Matrix => ({ data: queries.data.subarray(starts[i] * d, starts[i + 1] * d), rows: starts[i + 1] - starts[i], cols: d });
  // Helpers first (they start while this thread searches share 0); a share whose helper fails is searched here.
  const remote = helpers.slice(0, starts.length - 2).map((h, i) =>
    team.nearest(h, index, share(i + 1), gridW).catch(() => null),
  );
  const distances = new Float32Array(queries.rows);
  const indices = new Uint32Array(queries.rows);
  const stats: SearchStats = { queries: queries.rows, projected: 0, measured: 0, bruteForce: queries.rows * index.bank.rows };
  const put = (i: number, r: NearestResult, s: SearchStats) => {
    distances.set(r.distances, starts[i]);
    indices.set(r.indices, starts[i]);
    stats.projected += s.projected;
    stats.measured += s.measured;
  };
  put(0, index.nearest(share(0), { gridW }), index.lastStats);
  for (const [i, p] of remote.entries()) {
    const r = await p;
    if (r) put(i + 1, r, r.stats);
    else put(i + 1, index.nearest(share(i + 1), { gridW }), index.lastStats);
  }
  index.lastStats = stats;
  return { distances, indices };
}

/**
 * preprocess() of one image, its input rows split over this thread and the team's working helpers: the same input,
 * bit for bit (each share is summed as the whole is). A share whose helper fails is made here.
 */
export async function teamPreprocess(
  team: SearchTeam | null,
  img: RgbaImage,
  norm: Normalisation,
  opts: PreprocessOptions = {},
): Promise<BackboneInput & { window: ImageWindow }> {
  const helpers = team ? Array.from({ length: team.size }, (_, h) => h).filter((h) => team.alive(h)) : [];
  if (!team || !helpers.length || img.width * img.height < MIN_SHARED_PIXELS) return preprocess(img, norm, opts);
  checkImage(img);
  const g = geometryOf(img, norm, opts);
  const parts = Math.min(helpers.length + 1, g.height);
  const cuts = Array.from({ length: parts + 1 }, (_, i) => Math.round((g.height * i) / parts));
  const { mean, std, inputSize, inputMultiple } = norm;
  const plainNorm: Normalisation = { mean, std, inputSize, ...(inputMultiple ? { inputMultiple } : {}) };
  const remote = helpers.slice(0, parts - 1).map((h, i) => {
    const y0 = cuts[i + 1], y1 = cuts[i + 2];
    return team.preprocess(h, { ...sourceBand(img, g, y0, y1), norm: plainNorm, geometry: g, y0, y1 }).catch(() => null);
  });
  const W = g.width, H = g.height;
  const data = new Float32Array(3 * W * H);
  const put = (i: number, rows: Float32Array) => {
    const n = (cuts[i + 1] - cuts[i]) * W;
    for (let c = 0; c < 3; c++) data.set(rows.subarray(c * n, (c + 1) * n), c * W * H + cuts[i] * W);
  };
  put(0, preprocessRows(img, norm, g, cuts[0], cuts[1]));
  for (const [i, p] of remote.entries()) {
    const rows = await p;
    const n = 3 * (cuts[i + 2] - cuts[i + 1]) * W;
    put(i + 1, rows && rows.length === n ? rows : preprocessRows(img, norm, g, cuts[i + 1], cuts[i + 2]));
  }
  return { data, width: W, height: H, window: imageWindow(g) };
}
