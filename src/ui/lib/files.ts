// Turning a drop or a file picker selection into image Files, walking dropped folders recursively.
import type { PickedFiles, PickedImage } from '../../state/files';

const IMAGE_EXT = /\.(png|jpe?g|webp|bmp)$/i;
const IMAGE_MIME = /^image\/(png|jpeg|webp|bmp|x-ms-bmp)$/i;

export function isImageFile(f: File): boolean {
  return IMAGE_MIME.test(f.type) || IMAGE_EXT.test(f.name);
}

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function walk(entry: FileSystemEntry, prefix: string, out: { file: File; path: string }[]): Promise<void> {
  if (entry.isFile) {
    out.push({ file: await entryFile(entry as FileSystemFileEntry), path: prefix + entry.name });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries returns at most ~100 entries per call; keep reading until it returns none.
    for (;;) {
      const batch = await readEntries(reader);
      if (batch.length === 0) break;
      for (const child of batch) await walk(child, `${prefix}${entry.name}/`, out);
    }
  }
}

function sortByPath(a: { path: string }, b: { path: string }) {
  return a.path.localeCompare(b.path, undefined, { numeric: true });
}

function split(all: { file: File; path: string }[], folderName: string | null): PickedFiles {
  all.sort(sortByPath);
  const images: PickedImage[] = [];
  const ignored: PickedFiles['ignored'] = [];
  const strip = folderName ? `${folderName}/` : '';
  for (const { file, path: full } of all) {
    if (file.name.startsWith('.')) continue; // .DS_Store and friends: not worth a mention
    const path = strip && full.startsWith(strip) ? full.slice(strip.length) : full;
    if (isImageFile(file)) images.push({ file, path });
    else ignored.push({ name: path, reason: 'not a PNG, JPEG, WebP or BMP image' });
  }
  return { images, ignored, folderName };
}

/**
 * Must be called synchronously inside the drop handler: the DataTransfer is emptied once the event returns,
 * so the entries are taken first and read afterwards.
 */
export function collectDropped(dt: DataTransfer): Promise<PickedFiles> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  const items = dt.items ? Array.from(dt.items) : [];
  for (const item of items) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  if (items.length === 0) loose.push(...Array.from(dt.files ?? []));
  return (async () => {
    const out: { file: File; path: string }[] = loose.map((file) => ({ file, path: file.name }));
    for (const e of entries) await walk(e, '', out);
    const dirs = entries.filter((e) => e.isDirectory);
    const folderName = dirs.length === 1 && entries.length === 1 ? dirs[0].name : null;
    return split(out, folderName);
  })();
}

export function collectPicked(list: FileList | null): PickedFiles {
  const files = Array.from(list ?? []);
  const all = files.map((file) => ({ file, path: file.webkitRelativePath || file.name }));
  const first = all[0]?.path.split('/');
  const folderName = first && first.length > 1 ? first[0] : null;
  return split(all, folderName);
}
