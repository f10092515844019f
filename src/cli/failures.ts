/**
 * The one place that knows what a failure means to the outside: its code (for logs, reports and tests), the exit
 * code, and how the daemon treats it. Edges throw typed errors (GitError, CredentialError, UsageError, ...); every
 * command and the daemon ask `describeFailure`, none translates an error on its own. Anything not recognised here is
 * a bug: exit 70, printed with the version.
 */
import { ForgeError } from '../forge/forge.js';
import { GitError, redactUrlCredentials } from '../gitsource/repo.js';
import { CredentialError } from '../import/index.js';
import { AuthoringError } from '../reconcile/authoring.js';
import { RenderError } from '../render/patch.js';
import { ExitCode, UsageError } from './exit-codes.js';
import type { ExitCodeValue } from './exit-codes.js';
import { FileChangedError } from './write-files.js';

/** How a daemon reacts: retry soon (transient), retry slowly and say so (terminal: needs a person), or crash (bug). */
export type FailureKind = 'transient' | 'terminal' | 'bug';

export interface FailureInfo {
  /** Stable, machine-readable: `usage`, `config`, `credentials`, `listen`, `git-auth`, `git-unavailable`, ... */
  readonly code: string;
  readonly kind: FailureKind;
  readonly exit: ExitCodeValue;
  /** One line for a person, with no credentials in it. */
  readonly message: string;
}

/** A pass that ran past its deadline (`--pass-timeout`). */
export class PassTimeoutError extends Error {
  override readonly name = 'PassTimeoutError';
}

/** The daemon was asked to stop while work was in progress. */
export class StoppedError extends Error {
  override readonly name = 'StoppedError';
}

export function describeFailure(err: unknown): FailureInfo {
  // An object the command names that is not there exits 1, as oc does for the server's NotFound.
  if (err instanceof UsageError)
    return { code: err.code, kind: 'terminal', exit: err.code === 'not-found' ? ExitCode.findings : ExitCode.usage, message: err.message };
  if (err instanceof AuthoringError) return { code: err.code, kind: 'terminal', exit: ExitCode.usage, message: err.message };
  if (err instanceof CredentialError) return { code: 'credentials', kind: 'terminal', exit: ExitCode.usage, message: err.message };
  if (err instanceof GitError) {
    const terminal = err.code === 'auth' || err.code === 'not-found';
    return {
      code: `git-${err.code}`,
      kind: terminal ? 'terminal' : 'transient',
      exit: ExitCode.publish,
      message: redactUrlCredentials(err.message),
    };
  }
  // The forge refused or is down: not published (exit 5), the commit and the tool's branch kept for the next pass.
  if (err instanceof ForgeError)
    return {
      code: `forge-${err.code}`,
      kind: err.transient || err.code === 'exists' ? 'transient' : 'terminal',
      exit: ExitCode.publish,
      message: redactUrlCredentials(err.message),
    };
  // A verb that cannot edit a file faithfully wrote nothing: a partial failure, never a crash.
  if (err instanceof RenderError) return { code: `render-${err.code}`, kind: 'terminal', exit: ExitCode.partial, message: err.message };
  // Someone changed a file while the pass ran: nothing written; the next pass reads the new text.
  if (err instanceof FileChangedError) return { code: 'file-changed', kind: 'transient', exit: ExitCode.partial, message: err.message };
  if (err instanceof PassTimeoutError) return { code: 'pass-timeout', kind: 'transient', exit: ExitCode.partial, message: err.message };
  if (err instanceof StoppedError) return { code: 'stopped', kind: 'transient', exit: ExitCode.partial, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', kind: 'bug', exit: ExitCode.internal, message: redactUrlCredentials(message) };
}

/** What a person needs to do about a terminal failure, appended to its message in logs and on /readyz. */
export function remedy(info: FailureInfo): string | undefined {
  switch (info.code) {
    case 'git-auth':
      return 'check the Git credentials (--git-credentials or IMAGESTREAMS_GIT_USERNAME/IMAGESTREAMS_GIT_PASSWORD)';
    case 'git-not-found':
      return 'check --repo-url and --branch';
    case 'credentials':
      return 'check the registry credentials files';
    case 'forge-auth':
      return 'check the forge token (--forge-token-file or IMAGESTREAMS_FORGE_TOKEN) or the GitHub App settings, and its access to the repository';
    case 'forge-not-found':
      return 'check --forge-url and --forge-repo';
    case 'forge-refused':
      return 'read what the forge said; the settings (labels, reviewers, auto-merge) may ask for something the repository does not allow';
    default:
      return undefined;
  }
}
