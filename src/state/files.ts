// What the stores take from a drop or a file picker (the UI's lib/files.ts collects it).

export interface PickedImage {
  file: File;
  /** Path inside the dropped folder ("crack/000.png"), or the file name. */
  path: string;
}

export interface PickedFiles {
  images: PickedImage[];
  /** Files that were not images, by name, so the user can see what was left out and why. */
  ignored: { name: string; reason: string }[];
  /** Name of the top folder when a single folder was dropped (a sensible default model name). */
  folderName: string | null;
}
