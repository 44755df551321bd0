// Errors the model library reports to the inspector: a stable `code` for the UI and a message a person can act on.

export type LibraryErrorCode =
  | 'not-found'
  | 'invalid-model'
  | 'quota'
  | 'conflict'
  | 'corrupt'
  // import only
  | 'bad-magic'
  | 'truncated'
  | 'unsupported-version'
  | 'bad-header'
  | 'bank-size'
  | 'checksum'
  | 'unknown-schema'
  | 'unknown-backbone';

export class LibraryError extends Error {
  readonly code: LibraryErrorCode;
  constructor(code: LibraryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LibraryError';
    this.code = code;
  }
}

/** "63.2 MB", "812 KB", "17 bytes": decimal units, as browsers and file managers show storage. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${Math.round(n / 1e3)} KB`;
  return `${n} bytes`;
}

/** IndexedDB reports a full disk or origin quota as a QuotaExceededError DOMException (legacy code 22). */
export function isQuotaError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { name, code } = e as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || code === 22;
}
