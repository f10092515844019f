/**
 * Pull-request publishing settings: flags > IMAGESTREAMS_* > the configuration file's `pullRequest` section >
 * defaults, and the forge credentials, which come from files or the environment only (never the file, never the
 * repository). The forge, its API URL and the repository default to what the Git remote URL says.
 */
import { createPrivateKey } from 'node:crypto';
import type { ForgeKind, MergeMethod } from '../forge/forge.js';
import { forgeKinds } from '../forge/forge.js';
import type { GitHubAppCredentials } from '../forge/github-app.js';
import { UsageError } from './exit-codes.js';
import { readSecret } from './git-settings.js';
import type { PullRequestSettings } from './publish-pr.js';
import { defaultBranchTemplate, headBranch } from './publish-pr.js';

/** The configuration file's `pullRequest` section (schemas/config.schema.json). */
export interface PullRequestFileSettings {
  enabled?: boolean;
  forge?: ForgeKind;
  url?: string;
  repository?: string;
  branchTemplate?: string;
  labels?: string[];
  reviewers?: string[];
  draft?: boolean;
  autoMerge?: MergeMethod;
}

/** The flags of `run` and `reconcile` that say how to publish to a pull request. */
export interface PullRequestFlags {
  readonly pullRequest?: boolean | undefined;
  readonly forge?: string | undefined;
  readonly forgeUrl?: string | undefined;
  readonly forgeRepo?: string | undefined;
  readonly prBranch?: string | undefined;
  readonly prLabel?: readonly string[] | undefined;
  readonly prReviewer?: readonly string[] | undefined;
  readonly prDraft?: boolean | undefined;
  readonly prAutoMerge?: string | undefined;
  readonly forgeTokenFile?: string | undefined;
  readonly githubAppId?: string | undefined;
  readonly githubAppKeyFile?: string | undefined;
  readonly githubAppInstallationId?: string | undefined;
}

export type ForgeAuth = { readonly token: string } | { readonly app: GitHubAppCredentials };

export interface PullRequestConfig {
  readonly forge: ForgeKind;
  readonly url: string;
  readonly repository: string;
  readonly settings: PullRequestSettings;
  readonly auth: ForgeAuth;
}

type Env = Readonly<Record<string, string | undefined>>;

function flagBoolean(env: string | undefined, name: string): boolean | undefined {
  if (env === undefined || env === '') return undefined;
  if (env === 'true' || env === '1') return true;
  if (env === 'false' || env === '0') return false;
  throw new UsageError(`${name}: "${env}" is not true or false`, 'config');
}

/** What the Git remote URL says about the forge: `https://github.com/o/r.git` → github, api.github.com, o/r. */
export function forgeFromRemote(remote: string | undefined): { kind?: ForgeKind; url?: string; repository?: string } {
  if (remote === undefined) return {};
  let u: URL;
  try {
    u = new URL(remote);
  } catch {
    return {};
  }
  const repository =
    u.pathname
      .replace(/^\/+/, '')
      .replace(/\/+$/, '')
      .replace(/\.git$/, '') || undefined;
  const origin = `${u.protocol}//${u.host}`;
  if (u.hostname === 'github.com') return { kind: 'github', url: 'https://api.github.com', repository };
  if (/^gitlab\./.test(u.hostname)) return { kind: 'gitlab', url: origin, repository };
  return { url: origin, repository };
}

function forgeAuth(kind: ForgeKind, flags: PullRequestFlags, env: Env): ForgeAuth {
  const appId = flags.githubAppId ?? (env.IMAGESTREAMS_GITHUB_APP_ID || undefined);
  if (appId !== undefined) {
    if (kind !== 'github') throw new UsageError('--github-app-id: GitHub App credentials are for --forge github', 'config');
    const privateKey =
      readSecret(flags.githubAppKeyFile ?? (env.IMAGESTREAMS_GITHUB_APP_KEY_FILE || undefined), undefined, 'GitHub App private key') ??
      (env.IMAGESTREAMS_GITHUB_APP_PRIVATE_KEY || undefined);
    if (privateKey === undefined)
      throw new UsageError(
        'a GitHub App needs its private key: --github-app-key-file FILE (or IMAGESTREAMS_GITHUB_APP_KEY_FILE, or the PEM in IMAGESTREAMS_GITHUB_APP_PRIVATE_KEY)',
        'credentials',
      );
    try {
      createPrivateKey(privateKey);
    } catch {
      throw new UsageError('the GitHub App private key is not a PEM private key', 'credentials');
    }
    const installation = flags.githubAppInstallationId ?? (env.IMAGESTREAMS_GITHUB_APP_INSTALLATION_ID || undefined);
    if (installation !== undefined && !/^[1-9][0-9]*$/.test(installation))
      throw new UsageError(`--github-app-installation-id: "${installation}" is not a number`, 'config');
    return { app: { appId, privateKey, installationId: installation === undefined ? undefined : Number(installation) } };
  }
  const token = readSecret(flags.forgeTokenFile, env.IMAGESTREAMS_FORGE_TOKEN, 'forge token');
  if (token === undefined)
    throw new UsageError(
      'publishing to a pull request needs forge credentials: --forge-token-file FILE or IMAGESTREAMS_FORGE_TOKEN (GitHub: or --github-app-id with --github-app-key-file)',
      'credentials',
    );
  return { token };
}

/**
 * The settled pull-request configuration, or undefined when passes push to the branch. Checks everything that can
 * be checked without the network (a usage error, exit 2, before anything runs).
 */
export function pullRequestConfig(
  flags: PullRequestFlags,
  file: PullRequestFileSettings | undefined,
  env: Env,
  remote: { readonly url: string | undefined; readonly base: string },
): PullRequestConfig | undefined {
  const f = file ?? {};
  const enabled = flags.pullRequest ?? flagBoolean(env.IMAGESTREAMS_PULL_REQUEST, 'IMAGESTREAMS_PULL_REQUEST') ?? f.enabled ?? false;
  if (!enabled) return undefined;
  const inferred = forgeFromRemote(remote.url);
  const kindText = flags.forge ?? (env.IMAGESTREAMS_FORGE || undefined) ?? f.forge ?? inferred.kind;
  if (kindText === undefined)
    throw new UsageError('--pull-request: say which forge the remote is on: --forge github|gitlab|gitea', 'config');
  if (!(forgeKinds as readonly string[]).includes(kindText))
    throw new UsageError(`--forge: "${kindText}" is not one of ${forgeKinds.join(', ')}`, 'config');
  const kind = kindText as ForgeKind;
  const explicitUrl = flags.forgeUrl ?? (env.IMAGESTREAMS_FORGE_URL || undefined) ?? f.url;
  // A GitHub Enterprise Server's API lives under /api/v3 of its host.
  const url = explicitUrl ?? (kind === 'github' && inferred.kind !== 'github' && inferred.url ? `${inferred.url}/api/v3` : inferred.url);
  if (url === undefined || !/^https?:\/\/[^/]/.test(url))
    throw new UsageError(`--forge-url: give the ${kind} API's base URL (such as https://api.github.com)`, 'config');
  const repository = flags.forgeRepo ?? (env.IMAGESTREAMS_FORGE_REPOSITORY || undefined) ?? f.repository ?? inferred.repository;
  if (repository === undefined || !/^[^/\s]+(\/[^/\s]+)+$/.test(repository))
    throw new UsageError('--forge-repo: give the repository as owner/name (GitLab: group/project)', 'config');
  if (kind !== 'gitlab' && repository.split('/').length !== 2)
    throw new UsageError(`--forge-repo: "${repository}" is not owner/name`, 'config');
  const branchTemplate = flags.prBranch ?? (env.IMAGESTREAMS_PR_BRANCH || undefined) ?? f.branchTemplate ?? defaultBranchTemplate;
  try {
    headBranch(branchTemplate, remote.base);
  } catch (err) {
    throw new UsageError(`--pr-branch: ${(err as Error).message}`, 'config');
  }
  const autoMerge = flags.prAutoMerge ?? f.autoMerge;
  if (autoMerge !== undefined && !['merge', 'squash', 'rebase'].includes(autoMerge))
    throw new UsageError(`--pr-auto-merge: "${autoMerge}" is not merge, squash or rebase`, 'config');
  return {
    forge: kind,
    url: url.replace(/\/+$/, ''),
    repository: repository.replace(/\.git$/, ''),
    settings: {
      branchTemplate,
      labels: flags.prLabel?.length ? [...flags.prLabel] : (f.labels ?? []),
      reviewers: flags.prReviewer?.length ? [...flags.prReviewer] : (f.reviewers ?? []),
      draft: flags.prDraft ?? f.draft ?? false,
      autoMerge: autoMerge as MergeMethod | undefined,
    },
    auth: forgeAuth(kind, flags, env),
  };
}
