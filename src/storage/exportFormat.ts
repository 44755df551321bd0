// The .patchcore file: one self-describing, checksummed model that another browser imports bit for bit.
//
// Layout (integers little-endian):
//   0      6 bytes   magic "PCWEB\0"
//   6      u16       format version (FORMAT_VERSION)
//   8      u32       header length H
//   12     H bytes   header: UTF-8 JSON (ExportHeader)
//   ...    zeros up to B = align8(12 + H), so the bank can be viewed in place
//   B      bank      rows x cols values, fp32 or fp16 per header.bank, row-major, little-endian
//   end-32 32 bytes  SHA-256 of every byte before it
// The header may carry the bank's nearest-neighbour index (header.index, StoredBankIndex with base64 arrays; its
// own version and a checksum of the bank it belongs to). It is optional: files without it (every file written before
// it existed) load and get their index built on load, and readers that predate it ignore it.
import { BYTES_PER_VALUE, bankBytes, bankFromBytes, type StoredBank } from './bank';
import type { StoredBankIndex } from '../patchcore/cpu/bankIndex';
import { formatBytes } from '../lib/format';
import { LibraryError } from './errors';
import {
  SCHEMA_VERSION,
  describeInvalidMeta,
  upgradeMeta,
  type BankPrecision,
  type ModelMeta,
  type ModelMetaV1,
  type Thumbnail,
} from './model';

export const MAGIC = new Uint8Array([0x50, 0x43, 0x57, 0x45, 0x42, 0x00]); // "PCWEB\0"
export const FORMAT_VERSION = 1;
export const FILE_EXTENSION = '.patchcore';
const PREAMBLE = 12;
const CHECKSUM = 32;

/** The JSON header. Thumbnails travel as base64; everything else as in ModelMeta. */
export interface ExportHeader {
  kind: 'patchcore-web model';
  exportedAt: number;
  meta: Omit<ModelMeta, 'thumbnails'> | Omit<ModelMetaV1, "thumbnails">;
  thumbnails: { mime: Thumbnail['mime']; width: number; height: number; base64: string }[];
  bank: { precision: BankPrecision; rows: number; cols: number; byteLength: number };
  /** The bank's index (axes fp32 and clusters u32, little-endian, base64); absent in older files. */
  index?: Omit<StoredBankIndex, 'axes' | 'cluster'> & { axes: string; cluster: string };
}

/**
 * Encodes one model. The bank is written exactly as stored (fp16 stays fp16), so import is bitwise. `index`: the
 * bank's nearest-neighbour index, built on the bank as it will be read back (decoded fp16 for an fp16 bank).
 */
export async function encodeModelFile(
  meta: ModelMeta,
  bank: StoredBank,
  exportedAt = Date.now(),
  index: StoredBankIndex | null = null,
): Promise<Uint8Array<ArrayBuffer>> {
  const { thumbnails, ...rest } = meta;
  const values = bankBytes(bank);
  const header: ExportHeader = {
    kind: 'patchcore-web model',
    exportedAt,
    meta: rest,
    thumbnails: thumbnails.map((t) => ({ mime: t.mime, width: t.width, height: t.height, base64: toBase64(t.bytes) })),
    bank: { precision: bank.precision, rows: bank.rows, cols: bank.cols, byteLength: values.byteLength },
    ...(index && LITTLE_ENDIAN ? { index: { ...index, axes: toBase64(bytesOf(index.axes)), cluster: toBase64(bytesOf(index.cluster)) } } : {}),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bankOffset = align8(PREAMBLE + json.byteLength);
  const body = bankOffset + values.byteLength;
  const out = new Uint8Array(body + CHECKSUM);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(6, FORMAT_VERSION, true);
  view.setUint32(8, json.byteLength, true);
  out.set(json, PREAMBLE);
  out.set(values, bankOffset);
  out.set(new Uint8Array(await crypto.subtle.digest('SHA-256', out.subarray(0, body))), body);
  return out;
}

/** A suggested file name: the model name, made safe for file systems, plus .patchcore. */
export function exportFileName(meta: Pick<ModelMeta, 'name'>): string {
  const base =
    meta.name
      .trim()
      .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_')
      .slice(0, 100) || 'model';
  return base + FILE_EXTENSION;
}

/**
 * Checks everything in a .patchcore file and returns its model. Each problem is a LibraryError with its own code:
 * bad-magic, truncated, unsupported-version, bad-header, corrupt (extra bytes), checksum, unknown-schema,
 * bank-size, unknown-backbone.
 */
export async function decodeModelFile(
  bytes: Uint8Array,
  opts: { knownBackbones: readonly string[] },
): Promise<{ meta: ModelMeta; bank: StoredBank; index: StoredBankIndex | null }> {
  const n = bytes.byteLength;
  if (n < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new LibraryError(
      'bad-magic',
      'This file is not a patchcore-web model: it does not start with the .patchcore signature.',
    );
  }
  if (n < PREAMBLE + CHECKSUM) throw truncated(n, PREAMBLE + CHECKSUM);
  const view = new DataView(bytes.buffer, bytes.byteOffset, n);
  const version = view.getUint16(6, true);
  if (version !== FORMAT_VERSION) {
    const hint = version > FORMAT_VERSION ? ' Update patchcore-web to import it.' : '';
    throw new LibraryError(
      'unsupported-version',
      `This model file uses format version ${version}; this app reads version ${FORMAT_VERSION}.${hint}`,
    );
  }
  const headerLength = view.getUint32(8, true);
  if (PREAMBLE + headerLength + CHECKSUM > n) throw truncated(n, PREAMBLE + headerLength + CHECKSUM);

  let header: ExportHeader;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE, PREAMBLE + headerLength)),
    );
  } catch {
    if (!(await checksumMatches(bytes))) throw damaged();
    throw new LibraryError('bad-header', 'This model file is unreadable: its description is not valid JSON.');
  }
  const declared = header?.bank;
  if (
    header?.kind !== 'patchcore-web model' ||
    typeof declared !== 'object' ||
    declared === null ||
    !isCount(declared.byteLength)
  ) {
    if (!(await checksumMatches(bytes))) throw damaged();
    throw new LibraryError(
      'bad-header',
      'This model file is unreadable: its description does not describe a patchcore-web model.',
    );
  }

  const bankOffset = align8(PREAMBLE + headerLength);
  const expected = bankOffset + declared.byteLength + CHECKSUM;
  if (n < expected) throw truncated(n, expected);
  if (n > expected) {
    throw new LibraryError(
      'corrupt',
      `This model file has ${formatBytes(n - expected)} of unexpected data after the model; it is damaged or two files were joined.`,
    );
  }
  if (!(await checksumMatches(bytes))) throw damaged();

  const schema = (header.meta as { schemaVersion?: unknown } | undefined)?.schemaVersion;
  if (typeof schema === 'number' && schema > SCHEMA_VERSION) {
    throw new LibraryError(
      'unknown-schema',
      `This model was saved by a newer version of patchcore-web (schema ${schema}, this app knows up to ${SCHEMA_VERSION}). Update the app to import it.`,
    );
  }
  let meta: ModelMeta;
  try {
    const thumbnails: Thumbnail[] = header.thumbnails.map((t) => ({
      mime: t.mime,
      width: t.width,
      height: t.height,
      bytes: fromBase64(t.base64),
    }));
    const withThumbs = { ...header.meta, thumbnails };
    meta = upgradeMeta(withThumbs) ?? (withThumbs as ModelMeta);
  } catch {
    throw new LibraryError('bad-header', 'This model file is unreadable: its thumbnails or description are malformed.');
  }
  const problem = describeInvalidMeta(meta);
  if (problem) throw new LibraryError('bad-header', `This model file is unreadable: ${problem}.`);

  const { precision, rows, cols, byteLength } = declared;
  const size = BYTES_PER_VALUE[precision];
  if (
    size === undefined ||
    rows !== meta.bankShape.rows ||
    cols !== meta.bankShape.cols ||
    precision !== meta.bankPrecision
  ) {
    throw new LibraryError(
      'bank-size',
      `This model file is inconsistent: its bank is declared as ${rows} x ${cols} ${precision} but the model says ${meta.bankShape.rows} x ${meta.bankShape.cols} ${meta.bankPrecision}.`,
    );
  }
  if (byteLength !== rows * cols * size) {
    throw new LibraryError(
      'bank-size',
      `This model file is inconsistent: its memory bank holds ${byteLength} bytes, but ${rows} x ${cols} ${precision} values take ${rows * cols * size} bytes.`,
    );
  }
  if (!opts.knownBackbones.includes(meta.backbone.id)) {
    const known = opts.knownBackbones.length ? ` (this app has: ${opts.knownBackbones.join(', ')})` : '';
    throw new LibraryError(
      'unknown-backbone',
      `This model was built with the backbone "${meta.backbone.id}", which this app does not have${known}.`,
    );
  }
  const stored = bankFromBytes(bytes.subarray(bankOffset, bankOffset + byteLength), precision, rows, cols);
  return { meta, bank: stored, index: readIndex(header.index) };
}

/**
 * The stored index, or null when there is none or it cannot be read (then it is rebuilt on load; whether it belongs
 * to the bank is checked when it is used, by BankIndex.restore).
 */
function readIndex(raw: ExportHeader['index'] | undefined): StoredBankIndex | null {
  if (!raw || typeof raw !== 'object' || !LITTLE_ENDIAN) return null;
  try {
    const axes = fromBase64(raw.axes), cluster = fromBase64(raw.cluster);
    if (axes.byteLength % 4 !== 0 || cluster.byteLength % 4 !== 0) return null;
    const { version, rows, cols, checksum } = raw;
    if (![version, rows, cols, checksum].every((v) => Number.isInteger(v))) return null;
    return { version, rows, cols, checksum, axes: new Float32Array(axes.buffer), cluster: new Uint32Array(cluster.buffer) };
  } catch {
    return null;
  }
}

/** The bytes of a typed array (a view). */
function bytesOf(a: Float32Array | Uint32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

async function checksumMatches(bytes: Uint8Array): Promise<boolean> {
  const body = bytes.byteLength - CHECKSUM;
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', bytes.subarray(0, body) as Uint8Array<ArrayBuffer>),
  );
  return digest.every((b, i) => bytes[body + i] === b);
}

function truncated(have: number, need: number): LibraryError {
  return new LibraryError(
    'truncated',
    `This model file is incomplete: it has ${formatBytes(have)} of the ${formatBytes(need)} it should have. Copy or download it again.`,
  );
}

function damaged(): LibraryError {
  return new LibraryError(
    'checksum',
    'This model file is damaged: its checksum does not match its contents. Copy or download it again.',
  );
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
