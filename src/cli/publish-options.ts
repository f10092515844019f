/** The flag family of pull-request publishing, shared by `run` and `reconcile` (docs/pull-requests.md). */
import type { Command } from 'commander';
import { collect } from './options.js';

/** `reconcile -o` formats beyond text and json (report-formats.ts renders them; listed here so help loads nothing). */
export const reportFormats = ['markdown', 'github'] as const;

export function withPullRequestOptions(command: Command): Command {
  return command
    .option(
      '--pull-request',
      'publish each pass as a pull request (GitLab: merge request) from a branch the tool owns, instead of pushing to the branch (env IMAGESTREAMS_PULL_REQUEST)',
    )
    .option('--forge <kind>', 'github, gitlab or gitea (Gitea and Forgejo); default from the Git remote host (env IMAGESTREAMS_FORGE)')
    .option(
      '--forge-url <url>',
      'the forge API base URL: https://api.github.com (default for github.com), https://HOST/api/v3 (GitHub Enterprise), https://HOST (GitLab, Gitea) (env IMAGESTREAMS_FORGE_URL)',
    )
    .option(
      '--forge-repo <path>',
      'owner/name (GitLab: group/project); default from the Git remote URL (env IMAGESTREAMS_FORGE_REPOSITORY)',
    )
    .option(
      '--pr-branch <template>',
      'the branch the tool owns per base; {branch} is the base (default imagestreams/{branch}; env IMAGESTREAMS_PR_BRANCH)',
    )
    .option('--pr-label <label>', 'label a new pull request (repeatable)', collect)
    .option('--pr-reviewer <name>', 'ask for a review on a new pull request: a user, or org/team on GitHub (repeatable)', collect)
    .option('--pr-draft', 'open pull requests as drafts')
    .option('--pr-auto-merge <method>', 'turn on auto-merge for a new pull request: merge, squash or rebase')
    .option(
      '--forge-token-file <file>',
      'the forge API token, read from a file (or env IMAGESTREAMS_FORGE_TOKEN); also the Git password unless --git-credentials is given',
    )
    .option('--github-app-id <id>', 'authenticate as this GitHub App instead of with a token (env IMAGESTREAMS_GITHUB_APP_ID)')
    .option(
      '--github-app-key-file <file>',
      "the GitHub App's private key, PEM (env IMAGESTREAMS_GITHUB_APP_KEY_FILE, or the PEM in IMAGESTREAMS_GITHUB_APP_PRIVATE_KEY)",
    )
    .option(
      '--github-app-installation-id <id>',
      "the App's installation (default: looked up for the repository; env IMAGESTREAMS_GITHUB_APP_INSTALLATION_ID)",
    );
}
