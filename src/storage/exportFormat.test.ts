import 'fake-indexeddb/auto';
import { createStore, entries, type UseStore } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { halfBitsToFloat, toHalfBits } from './bank';
import { LibraryError, type LibraryErrorCode } from './errors';
import {
  FORMAT_VERSION,
  MAGIC,
  decodeModelFile,
  encodeModelFile,
  exportFileName,
  type ExportHeader,
} from './exportFormat';
import { openLibrary, type ModelLibrary } from './library';
import { BankIndex } from '../patchcore/cpu/bankIndex';
import { blobs } from '../patchcore/testData';
import { decodeBank, encodeBank } from './bank';
import { randomBank, sampleDraft } from './library.fixture';

const KNOWN = ['mobilenet_v2_mid', 'resnet18_mid'];

async function freshLibrary(): Promise<{ lib: ModelLibrary; store: UseStore }> {
  const store = createStore(`export-test-${crypto.randomUUID()}`, 'models');
  return { lib: await openLibrary({ store }), store };
}

const bitsOf = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Builds a file the way encodeModelFile does, from any header and bank bytes, with a valid checksum. */
async function craft(header: unknown, bank: Uint8Array, version = FORMAT_VERSION): Promise<Uint8Array> {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const bankOffset = Math.ceil((12 + json.length) / 8) * 8;
  const out = new Uint8Array(bankOffset + bank.length + 32);
  out.set(MAGIC);
  const view = new DataView(out.buffer);
  view.setUint16(6, version, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(bank, bankOffset);
  const body = out.length - 32;
  out.set(new Uint8Array(await crypto.subtle.digest('SHA-256', out.subarray(0, body))), body);
  return out;
}

function readHeader(file: Uint8Array): { header: ExportHeader; bank: Uint8Array } {
  const len = new DataView(file.buffer, file.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(file.subarray(12, 12 + len))) as ExportHeader;
  const off = Math.ceil((12 + len) / 8) * 8;
  return { header, bank: file.subarray(off, off + header.bank.byteLength) };
}

/** Everything in the store, values included, to show an import that failed changed nothing. */
async function snapshot(store: UseStore): Promise<string> {
  const all = await entries(store);
  return JSON.stringify(all, (_k, v: unknown) =>
    ArrayBuffer.isView(v) ? Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) : v,
  );
}

describe('.patchcore export and import', () => {
  it('carries an fp32 model to another library bit for bit', async () => {
    const a = await freshLibrary();
    const bank = randomBank(31, 257, 40);
    const draft = sampleDraft(bank, 'Bottle v2');
    const saved = await a.lib.save(draft);
    const file = await a.lib.exportModel(saved.id);

    const b = await freshLibrary();
    const imported = await b.lib.importModel(file, KNOWN);
    expect(imported.id).not.toBe(saved.id);
    const model = await b.lib.open(imported.id);
    expect(bitsOf(model.bank.data)).toEqual(bitsOf(bank.data));
    expect(model.name).toBe('Bottle v2');
    expect(model.calibration).toEqual(draft.calibration);
    expect(model.scoreStats).toEqual(draft.scoreStats);
    expect(model.thumbnails.map((t) => Array.from(t.bytes))).toEqual(draft.thumbnails.map((t) => Array.from(t.bytes)));
    expect(model.createdAt).toBe(saved.createdAt);
    expect(exportFileName(model)).toBe('Bottle v2.patchcore');
  });

  it('carries an fp16 model as its exact fp16 bits, within fp16 precision of the original', async () => {
    const a = await freshLibrary();
    const bank = randomBank(32, 100, 24);
    const saved = await a.lib.save(sampleDraft(bank, 'Half', 'fp16'));
    const file = new Uint8Array(await (await a.lib.exportModel(saved.id)).arrayBuffer());
    expect(readHeader(file).header.bank).toEqual({ precision: 'fp16', rows: 100, cols: 24, byteLength: 100 * 24 * 2 });

    const b = await freshLibrary();
    const imported = await b.lib.importModel(file, KNOWN);
    const there = await b.lib.open(imported.id);
    const here = await a.lib.open(saved.id);
    expect(there.bankPrecision).toBe('fp16');
    expect(bitsOf(there.bank.data)).toEqual(bitsOf(here.bank.data));
    for (let i = 0; i < bank.data.length; i++) {
      expect(there.bank.data[i]).toBe(halfBitsToFloat(toHalfBits(bank.data[i])));
      expect(Math.abs(there.bank.data[i] - bank.data[i])).toBeLessThanOrEqual(bank.data[i] * 2 ** -11 + 1e-7);
    }
    // Re-exported from the second library, the bank bytes are identical.
    const again = new Uint8Array(await (await b.lib.exportModel(imported.id)).arrayBuffer());
    expect(readHeader(again).bank).toEqual(readHeader(file).bank);
  });

  it("carries the bank's nearest-neighbour index, which then restores for that bank only", async () => {
    const bank = blobs(1200, 32, 10, 3);
    const { lib } = await freshLibrary();
    const { bank: _opened, ...saved } = await lib.open((await lib.save(sampleDraft(bank, 'Indexed'))).id);
    for (const precision of ['fp32', 'fp16'] as const) {
      const stored = encodeBank(bank, precision);
      const asRead = decodeBank(stored);
      const index = BankIndex.build(asRead)!;
      const file = await encodeModelFile({ ...saved, bankPrecision: precision }, stored, 0, index.stored);
      const back = await decodeModelFile(file, { knownBackbones: KNOWN });
      expect(back.index).toEqual(index.stored);
      const restored = BankIndex.restore(decodeBank(back.bank), back.index!);
      expect(restored).not.toBeNull();
      // The fp32 bank the index was not built on (for fp16: the values before rounding) is refused.
      if (precision === 'fp16') expect(BankIndex.restore(bank, back.index!)).toBeNull();
    }
  });

  it('reads files without an index (older ones) and treats an unreadable index as none', async () => {
    const bank = blobs(600, 16, 4, 5);
    const { lib } = await freshLibrary();
    const { bank: _opened, ...saved } = await lib.open((await lib.save(sampleDraft(bank, 'Old'))).id);
    const plain = await encodeModelFile(saved, encodeBank(bank, 'fp32'), 0);
    expect(readHeader(plain).header.index).toBeUndefined();
    expect((await decodeModelFile(plain, { knownBackbones: KNOWN })).index).toBeNull();
    const { header, bank: bytes } = readHeader(await encodeModelFile(saved, encodeBank(bank, 'fp32'), 0, BankIndex.build(bank)!.stored));
    const broken = await craft({ ...header, index: { ...header.index, axes: '%%%' } }, bytes);
    const read = await decodeModelFile(broken, { knownBackbones: KNOWN });
    expect(read.index).toBeNull();
    expect(bitsOf(decodeBank(read.bank).data)).toEqual(bitsOf(bank.data));
  });

  describe('refuses a bad file with its own message and leaves the library unchanged', async () => {
    const source = await freshLibrary();
    const saved = await source.lib.save(sampleDraft(randomBank(33, 64, 16), 'Source'));
    const good = new Uint8Array(await (await source.lib.exportModel(saved.id)).arrayBuffer());
    const { header, bank } = readHeader(good);

    const cases: [string, () => Promise<Uint8Array> | Uint8Array, LibraryErrorCode, string | RegExp][] = [
      [
        'an empty file',
        () => new Uint8Array(0),
        'bad-magic',
        'This file is not a patchcore-web model: it does not start with the .patchcore signature.',
      ],
      [
        'a PNG renamed to .patchcore',
        () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(100)]),
        'bad-magic',
        /not a patchcore-web model/,
      ],
      [
        'a file cut short in the bank',
        () => good.subarray(0, good.length - 1000),
        'truncated',
        `This model file is incomplete: it has ${Math.round((good.length - 1000) / 1000)} kB of the ${Math.round(good.length / 1000)} kB it should have. Copy or download it again.`,
      ],
      [
        'a file cut short in the header',
        () => good.subarray(0, 40),
        'truncated',
        /^This model file is incomplete: it has 40 bytes of the/,
      ],
      [
        'a file from a newer format',
        () => {
          const f = good.slice();
          f[6] = FORMAT_VERSION + 1;
          return f;
        },
        'unsupported-version',
        `This model file uses format version ${FORMAT_VERSION + 1}; this app reads version ${FORMAT_VERSION}. Update patchcore-web to import it.`,
      ],
      [
        'one flipped bit in the bank',
        () => {
          const f = good.slice();
          f[f.length - 100] ^= 1;
          return f;
        },
        'checksum',
        'This model file is damaged: its checksum does not match its contents. Copy or download it again.',
      ],
      [
        'one flipped bit in the header',
        () => {
          const f = good.slice();
          f[20] ^= 0x40;
          return f;
        },
        'checksum',
        /checksum does not match/,
      ],
      [
        'extra bytes after the checksum',
        () => new Uint8Array([...good, 0, 0, 0]),
        'corrupt',
        'This model file has 3 bytes of unexpected data after the model; it is damaged or two files were joined.',
      ],
      [
        'a header that is not JSON',
        () => craft('{"kind": "patchcore-web model", ', bank),
        'bad-header',
        'This model file is unreadable: its description is not valid JSON.',
      ],
      [
        'a header without a model',
        () =>
          craft(
            {
              kind: 'patchcore-web model',
              bank: header.bank,
              thumbnails: [],
              meta: { ...header.meta, calibration: { threshold: 'high' } },
            },
            bank,
          ),
        'bad-header',
        'This model file is unreadable: its threshold is not a number.',
      ],
      [
        'a model from a newer schema',
        () => craft({ ...header, meta: { ...header.meta, schemaVersion: 5 } }, bank),
        'unknown-schema',
        'This model was saved by a newer version of patchcore-web (schema 5, this app knows up to 4). Update the app to import it.',
      ],
      [
        'a bank shorter than rows x cols',
        () =>
          craft(
            { ...header, bank: { ...header.bank, byteLength: bank.length - 4 } },
            bank.subarray(0, bank.length - 4),
          ),
        'bank-size',
        'This model file is inconsistent: its memory bank holds 4092 bytes, but 64 x 16 fp32 values take 4096 bytes.',
      ],
      [
        'a bank declared with other dimensions than the model',
        () => craft({ ...header, bank: { ...header.bank, rows: 128, cols: 8 } }, bank),
        'bank-size',
        'This model file is inconsistent: its bank is declared as 128 x 8 fp32 but the model says 64 x 16 fp32.',
      ],
      [
        'a backbone this app does not have',
        () =>
          craft(
            {
              ...header,
              meta: {
                ...header.meta,
                backbone: { id: 'vit_huge', manifestHash: null },
                config: { ...header.meta.config, backbone: 'vit_huge' },
              },
            },
            bank,
          ),
        'unknown-backbone',
        'This model was built with the backbone "vit_huge", which this app does not have (this app has: mobilenet_v2_mid, resnet18_mid).',
      ],
    ];

    it.each(cases)('%s', async (_name, make, code, message) => {
      const target = await freshLibrary();
      await target.lib.save(sampleDraft(randomBank(34, 8, 4), 'Already here'));
      const before = await snapshot(target.store);
      const file = await make();
      const err = await target.lib.importModel(file, KNOWN).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LibraryError);
      expect((err as LibraryError).code).toBe(code);
      if (typeof message === 'string') expect((err as LibraryError).message).toBe(message);
      else expect((err as LibraryError).message).toMatch(message);
      expect(await snapshot(target.store)).toBe(before);
      expect((await target.lib.list()).map((m) => m.name)).toEqual(['Already here']);
    });

    it('while the unmodified file imports fine', async () => {
      await expect(decodeModelFile(await craft(header, bank), { knownBackbones: KNOWN })).resolves.toBeTruthy();
      const enc = await encodeModelFile({ ...header.meta, thumbnails: [] } as never, {
        precision: 'fp32',
        rows: 64,
        cols: 16,
        data: new Float32Array(bank.slice().buffer),
      });
      expect((await decodeModelFile(enc, { knownBackbones: KNOWN })).bank.data.byteLength).toBe(4096);
    });

    it('and a file written before schema 3 imports with its framing as one field', async () => {
      const meta = header.meta as { config: Record<string, unknown> };
      const { framing: _f, ...legacy } = meta.config;
      void _f;
      const old = await craft({ ...header, meta: { ...meta, schemaVersion: 2, config: { ...legacy, centerCrop: true, resize: 'fit' } } }, bank);
      const { meta: read } = await decodeModelFile(old, { knownBackbones: KNOWN });
      expect(read.schemaVersion).toBe(4);
      expect(read.config.framing).toBe('crop');
      expect(read.config).not.toHaveProperty('centerCrop');
    });

    it('and a schema-3 file reads its working size from the old inputSize', async () => {
      const meta = header.meta as { config: Record<string, unknown> };
      const { workingSize: _w, ...legacy } = meta.config;
      void _w;
      const old = await craft({ ...header, meta: { ...meta, schemaVersion: 3, config: { ...legacy, inputSize: 320 } } }, bank);
      const { meta: read } = await decodeModelFile(old, { knownBackbones: KNOWN });
      expect(read.schemaVersion).toBe(4);
      expect(read.config.workingSize).toBe(320);
      expect(read.config).not.toHaveProperty('inputSize');
    });
  });
});
