import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { createRegistryImporter } from '../import/index.js';
import type { RegistryImporter } from '../import/index.js';
import { loadConfig } from './config.js';
import type { ConfigFlags } from './config.js';
import { combineExitCodes, ExitCode, UsageError } from './exit-codes.js';
import type { ExitCodeValue } from './exit-codes.js';
import { formatText } from './format-diagnostics.js';
import type { CliIo } from './io.js';
import { lineOf, valueAt } from './report-rows.js';
import type { PassResult } from './pipeline.js';
import { parseStoreFor, reconcilePass } from './pipeline.js';
import { deferralsByRegistry } from '../reconcile/pass.js';
import { GitRepo } from '../gitsource/repo.js';
import type { PublishError } from './publish.js';
import type { PullRequestFlags } from './publish-settings.js';
import { reportIn } from './report-formats.js';
import type { ReportFormat } from './report-formats.js';
import { describeFailure } from './failures.js';
import { parseNow } from './clock.js';
import { commitPass } from './commit-pass.js';
import { gitCredentials, parseAuthor } from './git-settings.js';
import { writeAll } from './write-files.js';

export interface ReconcileOptions extends ConfigFlags, PullRequestFlags {
  readonly repo?: string;
  readonly output: 'text' | 'json' | ReportFormat;
  readonly offline?: boolean;
  readonly dryRun?: boolean;
  readonly check?: boolean;
  readonly forceImport?: boolean;
  readonly now?: string;
  readonly localRegistry?: string;
  readonly insecure?: boolean;
  readonly importMode?: string;
  readonly commit?: boolean;
  readonly push?: boolean;
  readonly author?: string;
  readonly gitCredentials?: string;
}

function summary(result: PassResult, requests: number, mode: string): string {
  const lines: string[] = [];
  const changedStreams = result.plan.streams.filter((s) => s.edits.length > 0);
  for (const s of changedStreams) {
    const name = result.streams.find((x) => x.key === s.stream);
    const label = name ? `${name.namespace}/${name.name}` : s.stream;
    for (const c of s.changes) {
      const what =
        c.kind === 'import-failed' ? `import failed: ${c.detail ?? ''}` : `${c.kind}: ${c.from ?? '(none)'} -> ${c.to ?? '(none)'}`;
      lines.push(`${label}:${c.tag}  ${what}`);
    }
  }
  // Policy tags: which tag each policy chose, and why (or why from.name was held).
  for (const i of result.imports) {
    if (!i.policy) continue;
    const name = result.streams.find((x) => x.key === i.stream);
    const moved = i.policy.chosen === i.policy.previous ? `stays ${i.policy.chosen}` : `${i.policy.previous} -> ${i.policy.chosen}`;
    lines.push(`${name ? `${name.namespace}/${name.name}` : i.stream}:${i.tag}  policy: ${moved} (${i.policy.reason})`);
  }
  for (const h of result.holds) lines.push(`${h.tag}  held at ${h.image}: ${h.reason}`);
  for (const p of result.pending) {
    const name = result.streams.find((x) => x.key === p.stream);
    lines.push(
      `${name ? `${name.namespace}/${name.name}` : p.stream}:${p.tag}  pending: ${p.image} (first seen ${p.since}; adopted from ${p.adoptAt})`,
    );
  }
  for (const wp of result.workloads) {
    for (const c of wp.changes)
      lines.push(
        `${result.workloadNames.get(wp.workload) ?? wp.workload} ${c.path.replace(/^\/(spec\/)?(template\/spec\/|jobTemplate\/spec\/template\/spec\/)?/, '')}: ${c.old || '(none)'} -> ${c.new}  (${c.via} ${c.cause})`,
      );
  }
  for (const s of result.skips) lines.push(`skipped ${s.stream}${s.tag ? ` tag ${s.tag}` : ''}: ${s.reason}`);
  for (const s of result.workloadSkips) lines.push(`skipped ${result.workloadNames.get(s.workload) ?? s.workload}: ${s.reason}`);
  for (const e of result.renderErrors) lines.push(`render error in ${e.file}: ${e.error} (file left untouched)`);
  const deferrals = deferralsByRegistry(result.imports);
  for (const d of deferrals) lines.push(`${d.imports} import${d.imports === 1 ? '' : 's'} deferred (${d.code}): ${d.message}`);
  const failed = result.imports.filter((i) => 'failure' in i.result).length;
  const deferred = deferrals.reduce((n, d) => n + d.imports, 0);
  // Markers and kustomize images are values set in other files, not workload images (docs/write-back.md).
  const changesVia = (value: boolean): number =>
    result.workloads.reduce((n, w) => n + w.changes.filter((c) => (c.via === 'marker' || c.via === 'kustomize') === value).length, 0);
  const images = changesVia(false);
  const values = changesVia(true);
  lines.push(
    `${result.changes.length} file${result.changes.length === 1 ? '' : 's'} ${mode}, ${result.imports.length} import${result.imports.length === 1 ? '' : 's'} (${failed} failed, ${deferred > 0 ? `${deferred} deferred, ` : ''}${requests} registry requests), ${result.streams.length} streams, ${images} workload images, ${values > 0 ? `${values} value${values === 1 ? '' : 's'} set, ` : ''}${result.skips.length + result.workloadSkips.length} skipped`,
  );
  return `${lines.join('\n')}\n`;
}

/** The unified diff of every change, as --dry-run prints it. */
function diffOf(result: PassResult): string {
  return result.changes
    .map((c) =>
      createTwoFilesPatch(`a/${c.file}`, `b/${c.file}`, c.before, c.after, undefined, undefined, { context: 3 }).replace(/^=+\n/, ''),
    )
    .join('');
}

/** The pass as one JSON document; with --dry-run the diff is inside it (`diff`), so the output stays one document. */
function json(result: PassResult, requests: number, diff: string | undefined): string {
  return `${JSON.stringify(
    {
      edits: result.changes.flatMap((c) =>
        c.edits.map((e) => ({
          file: c.file,
          line: lineOf(result, c.file, e.document, e.op.path),
          document: e.document,
          pointer: e.op.path,
          op: e.op.op,
          old: e.op.op === 'add' ? undefined : valueAt(result, c.file, e.document, e.op.path),
          new: 'value' in e.op ? e.op.value : undefined,
          stream: e.object,
        })),
      ),
      changes: result.plan.streams.flatMap((s) => s.changes.map((c) => ({ stream: s.stream, ...c }))),
      workloadChanges: result.workloads.flatMap((w) =>
        w.changes.map((c) => ({ workload: w.workload, name: result.workloadNames.get(w.workload), ...c })),
      ),
      skips: result.skips,
      workloadSkips: result.workloadSkips,
      imports: result.imports.map((i) => ({ stream: i.stream, tag: i.tag, from: i.from, reason: i.reason, ...i.result })),
      renderErrors: result.renderErrors,
      diagnostics: result.diagnostics,
      requests,
      nextDueAt: result.nextDueAt,
      ...(diff === undefined ? {} : { diff }),
    },
    null,
    2,
  )}\n`;
}

/**
 * `imagestreams reconcile`: one pass; write, print a diff, or check; with --commit [--push], land it in Git the way
 * the daemon does (a rejected push is fetched, planned again and pushed again, bounded). Outcomes and exit codes:
 * 0 done or nothing to do; 1 invalid files (reported, left alone; the rest is reconciled); 3 changes pending
 * (--check); 4 some imports failed or a file could not be rendered (everything else written); 5 committed but not
 * published (the push was refused past the retries, or Git failed); 2 usage; 70 a bug.
 */
export async function reconcileCommand(options: ReconcileOptions, io: CliIo): Promise<ExitCodeValue> {
  const config = await loadConfig(options, io.env, io.cwd);
  const now = parseNow(options.now);
  if (options.dryRun && options.check) throw new UsageError('--dry-run and --check cannot be combined: --check already writes nothing');
  const repoDir = path.resolve(io.cwd, options.repo ?? '.');
  let registry: RegistryImporter | undefined;
  let requests = 0;
  if (!options.offline) {
    registry = await createRegistryImporter(config.registry, { onRequest: () => void (requests += 1) });
  }
  const parseStore = parseStoreFor(config.registry.cacheDir, repoDir, io.cwd);
  const passOptions = {
    repoDir,
    displayBase: io.cwd,
    parseStore,
    walk: config.walk,
    limits: config.limits,
    settings: config.settings,
    now,
    offline: options.offline ?? false,
    forceImport: options.forceImport ?? false,
    importer: registry?.importer,
  };
  if (options.push && !options.commit) throw new UsageError('--push needs --commit');
  if (options.commit && (options.dryRun || options.check))
    throw new UsageError('--commit writes; it cannot be combined with --dry-run or --check');
  let result: PassResult;
  let committed: { commit: string | undefined; pushed: boolean; retries: number; publishError?: PublishError | undefined } | undefined;
  try {
    if (options.commit) {
      const author = parseAuthor(options.author ?? 'imagestreams <imagestreams@localhost>');
      const branch = (await GitRepo.currentBranch(repoDir)) ?? 'main';
      const { pullRequestForTree } = await import('./publish-setup.js');
      const pr = await pullRequestForTree(options, config.pullRequest, io, repoDir, branch);
      const repo = new GitRepo({
        dir: repoDir,
        branch,
        credentials: gitCredentials(options.gitCredentials, io.env) ?? pr?.gitCredentials,
        author,
      });
      const out = await commitPass(repo, () => passOptions, {
        push: options.push ?? false,
        publisher: pr?.publisher,
        localTree: true,
        retryLocal: true,
        onRetry: (attempt, why) => io.stderr(`imagestreams: ${why}; fetching and planning again on the new head (retry ${attempt})\n`),
      });
      result = out.result;
      committed = { commit: out.commit, pushed: out.pushed, retries: out.retries, publishError: out.publishError };
      if (out.publication && pr) io.stderr(`imagestreams: ${out.publication.message}\n`);
      for (const f of out.heldBack) io.stderr(`imagestreams: left ${f} alone: it has uncommitted edits\n`);
    } else {
      result = await reconcilePass(passOptions);
    }
  } finally {
    await registry?.close();
    await parseStore?.save();
  }
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0)
    io.stderr(
      formatText(errors, { files: result.files.size, streams: result.streams.length, workloads: 0 }).split('\n').slice(0, -2).join('\n') +
        '\n',
    );
  const mode = options.check ? 'would change' : options.dryRun ? 'would change (dry run)' : 'changed';
  if (options.dryRun && options.output === 'text') io.stdout(diffOf(result));
  if (!options.check && !options.dryRun && !options.commit && result.changes.length > 0) await writeAll(result.changes);
  if (committed?.commit) io.stderr(`imagestreams: committed ${committed.commit.slice(0, 12)}${committed.pushed ? ' and pushed' : ''}\n`);
  if (committed?.publishError)
    io.stderr(
      `imagestreams: not published after ${committed.retries + 1} attempt${committed.retries === 0 ? '' : 's'}: ${describeFailure(committed.publishError).message}\n`,
    );
  io.stdout(
    options.output === 'json'
      ? json(result, requests, options.dryRun ? diffOf(result) : undefined)
      : options.output === 'text'
        ? summary(result, requests, mode)
        : reportIn(options.output, result, mode),
  );
  const codes: ExitCodeValue[] = [ExitCode.ok];
  if (errors.length > 0) codes.push(ExitCode.findings);
  if (result.renderErrors.length > 0) codes.push(ExitCode.partial);
  if (committed?.publishError) codes.push(ExitCode.publish);
  // A deferred import is not a failure: it is due again in the next run.
  if (result.imports.some((i) => 'failure' in i.result)) codes.push(ExitCode.partial);
  if (options.check && result.changes.length > 0) codes.push(ExitCode.pending);
  return combineExitCodes(...codes);
}
