/**
 * One set of exit codes for every command: 0 success or nothing to do, 1 findings (invalid input), 2 usage or
 * configuration error, 3 changes pending (--check), 4 partial failure (some imports or files failed, everything
 * else done), 5 could not publish (the commit was made but Git would not take it), 70 internal error (EX_SOFTWARE).
 * Which failure gets which code is decided in one place: failures.ts.
 */
export const ExitCode = {
  ok: 0,
  findings: 1,
  usage: 2,
  pending: 3,
  partial: 4,
  publish: 5,
  internal: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** When several outcomes apply, the first of 70, 2, 1, 5, 4, 3 wins. */
const precedence: readonly ExitCodeValue[] = [70, 2, 1, 5, 4, 3, 0];

export function combineExitCodes(...codes: readonly ExitCodeValue[]): ExitCodeValue {
  for (const code of precedence) if (codes.includes(code)) return code;
  return 0;
}

/** What a UsageError is about: a flag or argument, configuration, or an object the command names that is not there. */
export type UsageCode = 'usage' | 'config' | 'credentials' | 'listen' | 'not-found';

/** A usage or configuration problem the user can fix; printed without a stack, exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly code: UsageCode = 'usage',
  ) {
    super(message);
  }
}
