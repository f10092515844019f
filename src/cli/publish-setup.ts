/**
 * Wiring for pull-request mode, shared by `run` and `reconcile --commit --push`: the forge client for the settled
 * configuration, the publisher, and the Git credentials when none were given (the forge token, or the GitHub App's
 * installation token, refreshed before each pass, as the password GitHub, GitLab and Gitea all accept over HTTPS).
 */
import type { ForgeClient } from '../forge/forge.js';
import { GitHubClient } from '../forge/github.js';
import { forgeFetch } from '../forge/http.js';
import type { GitCredentials } from '../gitsource/repo.js';
import type { PublishReport } from './publish.js';
import { PullRequestPublisher } from './publish-pr.js';
import type { PullRequestConfig, PullRequestFileSettings, PullRequestFlags } from './publish-settings.js';
import { pullRequestConfig } from './publish-settings.js';
import { UsageError } from './exit-codes.js';
import type { CliIo } from './io.js';
import { originUrl } from '../gitsource/own-branch.js';

export interface PullRequestSetup {
  readonly publisher: PullRequestPublisher;
  readonly forge: ForgeClient;
  /** Credentials for Git when none were configured: the forge's token (a getter, refreshed for an App). */
  readonly gitCredentials: GitCredentials;
}

export interface SetupOptions {
  /** The daemon's clone goes back to the base head after each landed pass. */
  readonly resetAfter: boolean;
  readonly onReport?: (report: PublishReport | { readonly outcome: 'failed'; readonly error: unknown }) => void;
  /** The running pass's signal, followed by every forge request. */
  readonly signal?: () => AbortSignal | undefined;
  readonly fetch?: typeof globalThis.fetch;
  readonly now?: () => number;
}

/** GitLab and Gitea clients load only when used. */
async function forgeClient(config: PullRequestConfig, fetch: typeof globalThis.fetch, now: () => number): Promise<ForgeClient> {
  switch (config.forge) {
    case 'github':
      return new GitHubClient({ apiUrl: config.url, repository: config.repository, auth: config.auth, fetch, now });
    case 'gitlab': {
      const { GitLabClient } = await import('../forge/gitlab.js');
      return new GitLabClient({ url: config.url, project: config.repository, token: tokenOf(config) });
    }
    case 'gitea': {
      const { GiteaClient } = await import('../forge/gitea.js');
      return new GiteaClient({ url: config.url, repository: config.repository, token: tokenOf(config), fetch });
    }
  }
}

function tokenOf(config: PullRequestConfig): string {
  if ('token' in config.auth) return config.auth.token;
  throw new Error('a GitHub App token outside GitHub'); // refused by pullRequestConfig
}

export async function pullRequestSetup(config: PullRequestConfig, options: SetupOptions): Promise<PullRequestSetup> {
  const fetch = options.fetch ?? forgeFetch({ signal: options.signal });
  const forge = await forgeClient(config, fetch, options.now ?? Date.now);
  const app = forge instanceof GitHubClient ? forge.appTokens : undefined;
  let password = 'token' in config.auth ? config.auth.token : '';
  const username = config.forge === 'gitlab' ? 'oauth2' : 'x-access-token';
  const gitCredentials: GitCredentials = {
    username,
    get password() {
      return password;
    },
  };
  const publisher = new PullRequestPublisher({
    forge,
    settings: config.settings,
    resetAfter: options.resetAfter,
    onReport: options.onReport,
    beforePass: app
      ? async () => {
          password = await app.token();
        }
      : undefined,
  });
  return { publisher, forge, gitCredentials };
}

/**
 * `reconcile --commit --push` in pull-request mode: the settled configuration for the checkout (its `origin` says
 * which forge and repository by default), or undefined when it pushes to the branch.
 */
export async function pullRequestForTree(
  flags: PullRequestFlags & { readonly push?: boolean | undefined },
  file: PullRequestFileSettings | undefined,
  io: Pick<CliIo, 'env'>,
  dir: string,
  branch: string,
): Promise<PullRequestSetup | undefined> {
  const config = pullRequestConfig(flags, file, io.env, { url: await originUrl(dir), base: branch });
  if (config === undefined) return undefined;
  if (!flags.push) throw new UsageError('--pull-request publishes: it needs --commit --push');
  return pullRequestSetup(config, { resetAfter: false });
}
