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

/** IndexedDB reports a full disk or origin quota as a QuotaExceededError DOMException (legacy code 22). */
export function isQuotaError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { name, code } = e as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || code === 22;
}
