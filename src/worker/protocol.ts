// The one typed message protocol between the UI (or the eval harness) and the engine worker.
// Every request carries an id; the worker answers with zero or more 'progress' messages and then exactly one
// 'done' or 'error' for that id. Large arrays travel as transferables.
import type { ExecutionPath, ExecutionPreference } from '../backbone/session';
import type { EngineConfig } from '../patchcore/config';
import type { CostEstimate } from '../patchcore/estimate';
import type { ImageWindow } from '../patchcore/preprocess';
import type { Region } from '../patchcore/region';
import type { AnomalyMap, Kernels, MemoryBank, Progress } from '../patchcore/types';
import type { ExportFile } from '../export/files';
import type { InputType } from '../export/graph';
import type { ModelMeta } from '../storage/model';
import type { LearntModel, SkippedImage } from '../patchcore/recipe';
import type { StoredBankIndex } from '../patchcore/cpu/bankIndex';
import type { IndexSource, ScoreStages } from '../patchcore/patchcore';
export type { KernelPreference } from '../patchcore/kernels';
import type { KernelPreference } from '../patchcore/kernels';

/** An image as the user gave it: the encoded file, decoded inside the worker. */
export interface ImageFile {
  name: string;
  blob: Blob;
}

/** A user's own backbone as chosen in the UI: the ONNX bytes, the manifest's JSON text, the file names. */
export interface CustomBackboneFiles {
  onnx: ArrayBuffer;
  manifest: string;
  name: string;
}

export interface EngineInfo {
  backbone: string;
  /** Where the backbone runs. */
  executionPath: ExecutionPath;
  threads: number;
  /** Where aggregation, coreset, kNN and blur run. */
  kernels: Kernels['name'];
  /** One sentence on why these paths were chosen (e.g. "WebGPU adapter is software (SwiftShader): WASM is faster"). */
  reason: string;
  gpu: string;
  /** Feature maps the WGSL aggregate took straight from the backbone's GPU buffers so far (all-GPU path). */
  gpuResidentMaps?: number;
}

export type { SkippedImage };

/**
 * A build's result: the memory bank and the held-out scores to calibrate on (patchcore/recipe.ts learn), and the
 * bank's nearest-neighbour index, to store with it (null for kernels that search without one, or a small bank).
 */
export type BuildResult = LearntModel & { index: StoredBankIndex | null };

/** How a 'load' got the bank's index; `built` carries one built now, for the caller to store with the bank. */
export interface IndexReport {
  source: IndexSource;
  /** Seconds spent building it (0 when restored or none). */
  seconds: number;
  built: StoredBankIndex | null;
}

export interface ExtendResult {
  /** The model's new bank: a coreset of every patch it has learnt, old and new. */
  bank: MemoryBank;
  patchCount: number;
  imageCount: number;
  /** Images added (the rest are in `skipped`). */
  added: number;
  skipped: SkippedImage[];
  /** The new bank's index, to store with it (null as in BuildResult). */
  index: StoredBankIndex | null;
}

export interface ScoreResult {
  name: string;
  score: number;
  maxPatchScore: number;
  /** Anomaly map at the backbone input resolution; the UI stretches it over `window` of the image. */
  map: AnomalyMap;
  /** The part of the image the map covers, in fractions of its width and height (all of it except under 'crop'). */
  window: ImageWindow;
  /** The model's inspection region, when it has one (only its patches decide the score). */
  region?: Region;
  patchScores: AnomalyMap;
  width: number;
  height: number;
  /** Seconds in the engine (decoding the file not included), and how they split by stage. */
  seconds: number;
  stages: ScoreStages;
}

export interface RequestMap {
  /**
   * Loads a backbone: a built-in one by id, or, when `custom` is given, the user's own ONNX + JSON manifest
   * (src/backbone/custom.ts; `backbone` is then ignored and EngineInfo.backbone is the manifest's id). A backbone
   * that fails to load leaves the previous one, and its model, in place.
   */
  init: {
    args: {
      backbone: string;
      custom?: CustomBackboneFiles;
      execution?: ExecutionPreference;
      kernels?: KernelPreference;
      threads?: number;
    };
    result: EngineInfo;
  };
  /**
   * A manifest proposed for a user's ONNX file from the shapes its outputs take (src/backbone/propose.ts), as the
   * JSON a manifest file would hold, with what was found in sentences. Loads nothing: `init` with `custom` does.
   */
  proposeManifest: { args: { onnx: ArrayBuffer; fileName: string }; result: { json: string; notes: string[] } };
  build: { args: { images: ImageFile[]; holdout: ImageFile[]; config: EngineConfig }; result: BuildResult };
  /**
   * Adds good images to a model given by its bank and counts (PatchCore.extend). Does not change the active model:
   * the caller stores the result and loads it.
   */
  extend: {
    args: { images: ImageFile[]; bank: MemoryBank; config: EngineConfig; patchCount?: number; imageCount: number };
    result: ExtendResult;
  };
  /**
   * Makes a stored memory bank the active model. `index`: the one stored with the bank; used when it belongs to
   * this bank (checksum and all, see BankIndex.restore), else one is built and returned in `index.built`.
   */
  load: {
    args: { bank: MemoryBank; config: EngineConfig; patchCount?: number; imageCount: number; index?: StoredBankIndex | null };
    result: { rows: number; cols: number; index: IndexReport };
  };
  /**
   * What a build with `config` from `imageCount` images will cost here, measured on a few of them (the first is
   * timed; see patchcore/estimate.ts); the active model is unchanged.
   */
  estimate: { args: { images: ImageFile[]; config: EngineConfig; imageCount: number; holdoutCount?: number }; result: CostEstimate & { imageWidth: number; imageHeight: number } };
  score: { args: { image: ImageFile }; result: ScoreResult };
  /** Scores already-decoded pixels (webcam frames), skipping the file decode. */
  scorePixels: { args: { name: string; data: Uint8ClampedArray; width: number; height: number }; result: ScoreResult };
  /** Test hook: destroys the kernels' WebGPU device, as a driver reset would. */
  loseDevice: { args: Record<string, never>; result: { lost: boolean } };
  /**
   * A stored model as one ONNX graph with its sidecar and Triton entry (the command line's `export`; see
   * src/export/files.ts). Needs no loaded backbone: a built-in one's bytes are fetched, a custom one's are given.
   * Throws the graph builder's sentence when the model's config cannot be exported.
   */
  exportOnnx: {
    args: { meta: ModelMeta; bank: MemoryBank; custom?: CustomBackboneFiles; inputType?: InputType };
    result: { name: string; files: ExportFile[] };
  };
  /** The engine's current paths (they change after recovering from a device loss). */
  info: { args: Record<string, never>; result: EngineInfo | null };
}

export type RequestType = keyof RequestMap;

export type WorkerRequest =
  | { [K in RequestType]: { id: number; type: K; args: RequestMap[K]['args'] } }[RequestType]
  | { id: number; type: 'cancel'; target: number };

export type WorkerResponse =
  | { id: number; type: 'progress'; progress: Progress }
  | { id: number; type: 'done'; result: unknown }
  | { id: number; type: 'error'; error: { name: string; message: string } };
