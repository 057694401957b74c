export type FocusImportErrorCode = 'MALFORMED' | 'CURRENCY_MISMATCH' | 'ORGANIZATION_NOT_FOUND' | 'UNREADABLE';

/** Why a file was refused. `line` is the physical line (header = 1) where the bad record starts. */
export class FocusImportError extends Error {
  constructor(
    readonly code: FocusImportErrorCode,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(line === null ? reason : `line ${line}: ${reason}`);
    this.name = 'FocusImportError';
  }
}

/** Refuses the file for a malformed record at `line`. */
export const malformed = (line: number, reason: string): never => {
  throw new FocusImportError('MALFORMED', line, reason);
};
