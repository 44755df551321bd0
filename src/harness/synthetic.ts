// Seeded synthetic patch features for the benches: the page (bench.harness.ts) and the peer programs outside the
// browser (scripts/bench/peers.mjs, through tsx) make the same matrix from the same seed.
import { rng } from '../patchcore/random';
import type { Matrix } from '../patchcore/types';

/** n x d features: clusters in a 16-d latent space, linearly lifted to d dims plus a little noise, ReLU'd. */
export function syntheticFeatures(n: number, d: number, seed = 1): Matrix {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const latent = 16, clusters = 64;
  const lift = Float32Array.from({ length: latent * d }, () => gauss() / Math.sqrt(latent));
  const centres = Float32Array.from({ length: clusters * latent }, () => gauss() * 2);
  const data = new Float32Array(n * d);
  const z = new Float32Array(latent);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * clusters);
    for (let k = 0; k < latent; k++) z[k] = centres[c * latent + k] + gauss() * 0.5;
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < latent; k++) s += z[k] * lift[k * d + j];
      data[i * d + j] = Math.max(0, s + gauss() * 0.05);
    }
  }
  return { data, rows: n, cols: d };
}
