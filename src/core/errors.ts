/**
 * Errors are values the user can act on: each names the file (when there is one) and the problem,
 * and prints as one line, e.g. `CheckpointError: model.elsa.safetensors: header length 9e18 exceeds file size 4096`.
 */
export type ElsaErrorKind =
  | 'CheckpointError'
  | 'ConfigError'
  | 'DataError'
  | 'ModelError'
  | 'UsageError'
  | 'EngineError';

export class ElsaError extends Error {
  readonly kind: ElsaErrorKind;
  readonly file: string | undefined;
  readonly problem: string;

  constructor(kind: ElsaErrorKind, file: string | undefined, problem: string) {
    super(file ? `${file}: ${problem}` : problem);
    this.kind = kind;
    this.file = file;
    this.problem = problem;
    this.name = kind;
  }

  /** One line, for a terminal or a notification. */
  toLine(): string {
    return `${this.kind}: ${this.message}`;
  }
}

export const checkpointError = (file: string | undefined, problem: string) => new ElsaError('CheckpointError', file, problem);
export const configError = (file: string | undefined, problem: string) => new ElsaError('ConfigError', file, problem);
export const dataError = (file: string | undefined, problem: string) => new ElsaError('DataError', file, problem);
export const modelError = (file: string | undefined, problem: string) => new ElsaError('ModelError', file, problem);
export const usageError = (problem: string) => new ElsaError('UsageError', undefined, problem);
export const engineError = (problem: string) => new ElsaError('EngineError', undefined, problem);

export function isElsaError(e: unknown): e is ElsaError {
  return e instanceof ElsaError;
}

/** Any thrown value as one line; unexpected errors keep their message but never a stack trace. */
export function errorLine(e: unknown): string {
  if (isElsaError(e)) return e.toLine();
  if (e instanceof Error) return `Error: ${e.message}`;
  return `Error: ${String(e)}`;
}
