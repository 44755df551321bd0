// How honest a build's time estimate was, for `npm run bench -- build` and `npm run eval`: every progress message's
// whole-build estimate (the engine's, else the stage's rate) against the time the build then took.
import type { Progress } from '../patchcore/types';

export class EtaLog {
  readonly samples: { at: number; eta: number }[] = [];
  private readonly t0 = performance.now();
  private stage = '';
  private stageStart = this.t0;

  /** Call with every progress message of the build. */
  record(p: Progress): void {
    const now = performance.now();
    if (p.stage !== this.stage) [this.stage, this.stageStart] = [p.stage, now];
    const elapsed = (now - this.stageStart) / 1000;
    const eta = p.etaSeconds ?? (p.done > 0 && elapsed > 0.2 ? (elapsed / p.done) * (p.total - p.done) : null);
    if (eta !== null) this.samples.push({ at: (now - this.t0) / 1000, eta });
  }

  /** The worst |at + eta - actual| / actual from `from` of the build's time onward (the issue asks from 10%). */
  worstError(buildSeconds: number, from = 0.1): number | null {
    const late = this.samples.filter((e) => e.at >= from * buildSeconds);
    return late.length ? Math.max(...late.map((e) => Math.abs(e.at + e.eta - buildSeconds) / buildSeconds)) : null;
  }

  /** About `n` samples spread over the build, for a report. */
  spread(n = 40): { at: number; eta: number }[] {
    return this.samples.filter((_, i) => i % Math.max(1, Math.floor(this.samples.length / n)) === 0);
  }
}
