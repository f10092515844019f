/**
 * scale: the daemon (`imagestreams run` as a child process: the published entry point on a fresh build, as the
 * container image runs it; SCALE_FROM=sources runs it from the sources through tsx, as the tests start it)
 * following a repository of 1,000 / 5,000 / 10,000 / 20,000 tags (5 tags per stream, one file per stream, every tag
 * a distinct source on the real registry), the Git server in a process of its own. For each size: the first pass
 * (clone, import every tag, write and commit every file, push); idle passes (hook-triggered, nothing due: load and
 * plan, no request); then the warm pass the daemon runs itself when the scheduled tags come due a minute later (one
 * HEAD per tag, nothing new). Wall time as the daemon reports it, registry requests from its /metrics, RSS from
 * /proc (steady: VmRSS idle after the warm pass; peak: VmHWM of the cold pass, then of the idle and warm passes).
 * The baseline, in the same run, is the same daemon on a repository with no stream (its RSS floor); growth is
 * printed per 1,000 tags, and each row's cost per tag as a ratio to the 1,000-tag row (1.00 = linear).
 *
 *   npm run bench -- scale            all sizes
 *   SCALE_SIZES=10000 npm run bench -- scale
 *   SCALE_FROM=sources npm run bench -- scale   the daemon from the sources (tsx): the tests' way, a larger floor
 *   SCALE_HEAP_SNAPSHOT=/tmp/snap SCALE_SIZES=10000 npm run bench -- scale   and a heap snapshot at the steady point
 *   SCALE_RUNTIME=plain       without the container image's environment (its memory settings, jemalloc included when
 *                             installed here; the default uses them)
 *   SCALE_NODE_OPTIONS=... / SCALE_ENV="K=V ..."   other Node options / environment for the daemon
 *   SCALE_NODE_ARGS="--trace-gc ..."   flags before the daemon's entry point (V8 flags NODE_OPTIONS refuses)
 *   SCALE_LOG_LEVEL=info      the daemon's log level (default warn; with SCALE_KEEP_LOGS, to line passes up with GCs)
 *   SCALE_SAMPLE=1 / SCALE_SMAPS=1   where RSS peaks in the warm passes / which mappings hold the settled RSS
 *   SCALE_KEEP_LOGS=DIR       keep each daemon's log
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createBareRepo } from '../test/support/git-server.js';
import { startDaemon } from '../test/support/daemon-process.js';
import type { DaemonProcess } from '../test/support/daemon-process.js';
import { startRegistry } from '../test/support/registry.js';
import { gitServerProcess } from './git-server-spawn.js';
import { tagImage } from './tag-image.js';

/**
 * The environment the container image gives the daemon (its `ENV` lines, NODE_ENV aside): what users run, so what
 * the bench measures by default. SCALE_RUNTIME=plain leaves it out (Node's and glibc's defaults).
 */
function containerEnv(): Record<string, string> {
  const text = readFileSync(new URL('../Containerfile', import.meta.url), 'utf8').replace(/\\\n/g, ' ');
  const env: Record<string, string> = {};
  const lines = text.split('\n');
  const last = lines.map((l, i) => (l.startsWith('FROM ') ? i : -1)).reduce((a, b) => Math.max(a, b), 0);
  for (const line of lines.slice(last)) {
    if (!line.startsWith('ENV ')) continue;
    for (const m of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) if (m[1] !== 'NODE_ENV') env[m[1] as string] = m[2] as string;
  }
  return env;
}
/**
 * The image's LD_PRELOAD names jemalloc without a path: here, Debian's library for this architecture when it is
 * installed (scripts/setup.sh installs it), by its full path, else none (glibc's allocator, as the header then says).
 */
function localPreload(env: Record<string, string>): Record<string, string> {
  if (!env.LD_PRELOAD) return env;
  const { LD_PRELOAD: wanted, ...rest } = env;
  const name = path.basename(wanted);
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch === 'x64' ? 'x86_64' : process.arch;
  const found = [wanted, `/usr/lib/${arch}-linux-gnu/${name}`].find((f) => existsSync(f));
  return found ? { ...rest, LD_PRELOAD: found } : rest;
}
const runtimeEnv = process.env.SCALE_RUNTIME === 'plain' ? {} : localPreload(containerEnv());
const preloadMissing = process.env.SCALE_RUNTIME !== 'plain' && containerEnv().LD_PRELOAD !== undefined && !runtimeEnv.LD_PRELOAD;

const sizes = (process.env.SCALE_SIZES ?? '1000,5000,10000,20000').split(',').map(Number);
const perStream = 5;
const idlePasses = 3;
const snapshotDir = process.env.SCALE_HEAP_SNAPSHOT;
const built = process.env.SCALE_FROM !== 'sources';

interface Row {
  tags: number;
  coldMs: number;
  /** Hook-triggered passes with nothing due (load, plan, no request), median. */
  idleMs: number;
  /** The daemon's own pass when the scheduled tags come due (one HEAD per tag, nothing new). */
  warmMs: number;
  coldRequests: number;
  warmRequests: number;
  steadyMib: number;
  /** VmRSS 15 s after the warm pass (the memory reducer has run). */
  settledMib: number;
  coldPeakMib: number;
  warmPeakMib: number;
  /** At the steady point, from the daemon's /metrics: V8 heap used / heap committed / external (Buffers), MiB. */
  heap: { used: number; total: number; external: number; spaces: string };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const procStatus = (pid: number, key: 'VmRSS' | 'VmHWM'): number => {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};
/** Reset the peak RSS (VmHWM) of a process of ours (proc(5): clear_refs 5). */
const resetPeak = (pid: number): void => writeFileSync(`/proc/${pid}/clear_refs`, '5');

async function status(d: DaemonProcess): Promise<{ lastPass?: { id: number; ms: number; outcome: string }; state: string }> {
  return (await (await fetch(`${d.url}/status`)).json()) as { lastPass?: { id: number; ms: number; outcome: string }; state: string };
}
async function heapOf(d: DaemonProcess): Promise<Row['heap']> {
  const text = await (await fetch(`${d.url}/metrics`)).text();
  const mib = (name: string): number =>
    Number(new RegExp(`^imagestreams_process_${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN) / 1048576;
  // Committed MiB per V8 heap space (new space is the young generation: its semi-spaces stay committed).
  const spaces = [...text.matchAll(/^imagestreams_process_nodejs_heap_space_size_total_bytes\{space="([^"]+)"\} (\S+)/gm)]
    .map((m) => `${m[1]} ${(Number(m[2]) / 1048576).toFixed(0)}`)
    .join(', ');
  return {
    used: mib('nodejs_heap_size_used_bytes'),
    total: mib('nodejs_heap_size_total_bytes'),
    external: mib('nodejs_external_memory_bytes'),
    spaces,
  };
}
async function registryRequests(d: DaemonProcess): Promise<number> {
  const text = await (await fetch(`${d.url}/metrics`)).text();
  return [...text.matchAll(/^imagestreams_registry_requests_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}
async function passDone(d: DaemonProcess, after: number, timeoutMs = 600_000): Promise<{ id: number; ms: number; outcome: string }> {
  const start = Date.now();
  for (;;) {
    const s = await status(d).catch(() => undefined);
    if (s?.lastPass && s.lastPass.id > after) return s.lastPass;
    if (Date.now() - start > timeoutMs) throw new Error(`no pass after ${after} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const streamFile = (host: string, s: number): string =>
  `apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app${s}\n  namespace: scale\n  annotations:\n    imagestreams.dev/import-interval: 1m\nspec:\n  tags:\n${Array.from(
    { length: perStream },
    (_, t) =>
      `  - name: v${t}\n    from:\n      kind: DockerImage\n      name: ${host}/scale/app:t${s * perStream + t}\n    importPolicy:\n      insecure: true\n      scheduled: true\n`,
  ).join('')}`;

async function measure(
  tags: number,
  ctx: { host: string; gitUrl: string; projectRoot: string; work: string; secretFile: string },
): Promise<Row> {
  const name = `scale${tags}`;
  const files: Record<string, string> = { 'README.md': 'scale bench\n' };
  for (let s = 0; s < tags / perStream; s += 1) files[`streams/app${s}.yaml`] = streamFile(ctx.host, s);
  createBareRepo(ctx.projectRoot, name, { files });
  const dir = mkdtempSync(path.join(ctx.work, `${name}-`));
  const d = await startDaemon(
    [
      '--repo-url',
      `${ctx.gitUrl}/${name}.git`,
      '--workdir',
      path.join(dir, 'wd'),
      '--cache-dir',
      path.join(dir, 'cache'),
      '--git-hook-secret-file',
      ctx.secretFile,
      '--poll-interval',
      '1h',
      '--log-level',
      process.env.SCALE_LOG_LEVEL ?? 'warn',
      '--pass-timeout',
      '30m',
    ],
    {
      logFile: path.join(dir, 'daemon.log'),
      built,
      nodeArgs: (process.env.SCALE_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
      // SCALE_HEAP_SNAPSHOT=DIR: a heap snapshot of each daemon at its steady point, written into DIR;
      // SCALE_NODE_OPTIONS: Node options for the daemon, SCALE_ENV="K=V ...": its environment (to try V8 or
      // allocator settings).
      env: {
        ...runtimeEnv,
        ...Object.fromEntries(
          (process.env.SCALE_ENV ?? '')
            .split(' ')
            .filter((kv) => kv.includes('='))
            .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
        ),
        NODE_OPTIONS: [
          process.env.SCALE_NODE_OPTIONS ?? runtimeEnv.NODE_OPTIONS ?? '',
          snapshotDir ? `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshotDir}` : '',
        ]
          .join(' ')
          .trim(),
      },
    },
  );
  try {
    const cold = await passDone(d, 0);
    const coldPeakMib = procStatus(d.proc.pid, 'VmHWM');
    const coldRequests = await registryRequests(d);
    resetPeak(d.proc.pid);
    const idle: number[] = [];
    let last = cold.id;
    for (let i = 0; i < idlePasses; i += 1) {
      const res = await fetch(`${d.url}/hooks/git`, { method: 'POST', headers: { authorization: 'Bearer scale' }, body: '{}' });
      if (res.status !== 202) throw new Error(`hook answered ${res.status}`);
      const p = await passDone(d, last);
      last = p.id;
      idle.push(p.ms);
    }
    // The scheduled tags come due a minute after the first pass checked them: the daemon's own alarm runs the pass.
    // (A cold pass longer than the interval makes the alarm fire early: the pass that HEADs every tag is the one.)
    // SCALE_SAMPLE=1: sample RSS and the V8 heap through the warm passes, and print where RSS peaked.
    const samples: Array<{ at: number; rss: number; heap: Row['heap'] }> = [];
    let sampling = process.env.SCALE_SAMPLE === '1';
    const sampler = (async () => {
      const t0 = Date.now();
      while (sampling) {
        const heap = await heapOf(d).catch(() => undefined);
        if (heap) samples.push({ at: Date.now() - t0, rss: procStatus(d.proc.pid, 'VmRSS'), heap });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    let before = await registryRequests(d);
    let warm = { ms: 0 };
    let warmRequests = 0;
    while (tags > 0 && warmRequests < tags) {
      const p = await passDone(d, last, 180_000);
      last = p.id;
      warm = p;
      const after = await registryRequests(d);
      warmRequests = after - before;
      if (warmRequests < tags) before = after;
    }
    sampling = false;
    await sampler;
    const top = samples.reduce(
      (a, b) => (b.rss > a.rss ? b : a),
      samples[0] ?? { at: 0, rss: 0, heap: { used: 0, total: 0, external: 0, spaces: '' } },
    );
    if (samples.length > 0)
      console.log(
        `  ${tags} tags, warm passes: RSS peaked at ${top.rss.toFixed(0)} MiB (${(top.at / 1000).toFixed(1)} s in): V8 heap ${top.heap.used.toFixed(0)} used of ${top.heap.total.toFixed(0)} committed (${top.heap.spaces}), external ${top.heap.external.toFixed(0)}; heap used at most ${Math.max(...samples.map((x) => x.heap.used)).toFixed(0)} MiB`,
      );
    await new Promise((r) => setTimeout(r, 2000));
    const steadyMib = procStatus(d.proc.pid, 'VmRSS');
    // V8's memory reducer starts 8 s after the heap stops growing: what the daemon holds once it has settled.
    await new Promise((r) => setTimeout(r, 13_000));
    const settledMib = procStatus(d.proc.pid, 'VmRSS');
    // SCALE_SMAPS=1: where the settled RSS lives (the largest mappings by RSS: [heap] is malloc's main arena).
    if (process.env.SCALE_SMAPS === '1') {
      const maps = readFileSync(`/proc/${d.proc.pid}/smaps`, 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
      const rows = maps.map((m) => {
        const [range = '', , , , , name = ''] = (m.split('\n')[0] ?? '').split(/\s+/);
        const [a = '0', b = '0'] = range.split('-');
        const rss = Number(/^Rss:\s+(\d+)/m.exec(m)?.[1] ?? 0) / 1024;
        return { name: name || 'anon', size: (Number.parseInt(b, 16) - Number.parseInt(a, 16)) / 1048576, rss };
      });
      const top = rows.sort((x, y) => y.rss - x.rss).slice(0, 12);
      console.log(
        `  ${tags} tags settled, largest mappings: ${top.map((r) => `${r.name} ${r.rss.toFixed(1)}/${r.size.toFixed(1)}`).join(', ')}`,
      );
    }
    const heap = await heapOf(d);
    if (snapshotDir && tags > 0) {
      const before = new Set(readdirSync(snapshotDir));
      process.kill(d.proc.pid, 'SIGUSR2');
      const written = async (): Promise<void> => {
        for (;;) {
          const file = readdirSync(snapshotDir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
          if (file && statSync(path.join(snapshotDir, file)).size > 0 && (await status(d).catch(() => undefined))) return;
          await new Promise((r) => setTimeout(r, 500));
        }
      };
      await written();
    }
    return {
      heap,
      tags,
      coldMs: cold.ms,
      idleMs: median(idle),
      warmMs: warm.ms,
      coldRequests,
      warmRequests,
      steadyMib,
      settledMib,
      coldPeakMib,
      warmPeakMib: procStatus(d.proc.pid, 'VmHWM'),
    };
  } finally {
    await d.stop();
    // SCALE_KEEP_LOGS=DIR: keep each daemon's log (with SCALE_NODE_ARGS=--trace-gc, its collections).
    if (process.env.SCALE_KEEP_LOGS) copyFileSync(path.join(dir, 'daemon.log'), path.join(process.env.SCALE_KEEP_LOGS, `${name}.log`));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function scaleBench(): Promise<void> {
  if (built) execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const work = mkdtempSync(path.join(tmpdir(), 'imagestreams-bench-scale-'));
  const registry = await startRegistry();
  const server = await gitServerProcess(path.join(work, 'git'));
  try {
    const secretFile = path.join(work, 'hook-secret');
    writeFileSync(secretFile, 'scale\n');
    await tagImage(registry.url, 'scale/app', Math.max(...sizes), 'scale');
    const ctx = { host: registry.host, gitUrl: server.url, projectRoot: server.projectRoot, work, secretFile };
    const floor = await measure(0, ctx);
    const rows: Row[] = [];
    for (const n of sizes) rows.push(await measure(n, ctx));
    const mib = (x: number): string => `${x.toFixed(0).padStart(5)} MiB`;
    console.log(
      `scale (the daemon as a child process, ${built ? 'built (bin/imagestreams.js on dist/)' : 'from the sources through tsx'}; ${perStream} tags per stream and file, distinct sources; idle = hook-triggered pass with nothing due, median of ${idlePasses}; warm = the scheduled pass a minute later, nothing new; environment: ${
        Object.keys(runtimeEnv).length > 0
          ? `the container image's (${Object.entries(runtimeEnv)
              .map(([k, v]) => `${k}=${v}`)
              .join(
                ' ',
              )})${preloadMissing ? "; jemalloc is not installed here, so glibc's allocator ran (scripts/setup.sh installs it)" : ''}`
          : "Node's and glibc's defaults (SCALE_RUNTIME=plain)"
      })`,
    );
    console.log(
      `  ${'tags'.padStart(6)}  ${'cold pass'.padStart(10)}  ${'idle pass'.padStart(10)}  ${'warm pass'.padStart(10)}  ${'requests cold/warm'.padStart(19)}  ${'steady RSS'.padStart(10)}  ${'peak cold'.padStart(9)}  ${'peak warm'.padStart(9)}  per tag vs the first row (cold, idle, warm, warm requests, RSS above the floor)`,
    );
    const first = rows[0] as Row;
    const per = (r: Row, k: Exclude<keyof Row, 'heap'>, base = 0): number => (r[k] - base) / r.tags;
    for (const r of [floor, ...rows]) {
      const ratios =
        r.tags === 0
          ? 'baseline: the daemon with no stream'
          : [
              per(r, 'coldMs') / per(first, 'coldMs'),
              per(r, 'idleMs') / per(first, 'idleMs'),
              per(r, 'warmMs') / per(first, 'warmMs'),
              per(r, 'warmRequests') / per(first, 'warmRequests'),
              per(r, 'steadyMib', floor.steadyMib) / per(first, 'steadyMib', floor.steadyMib),
            ]
              .map((x) => x.toFixed(2))
              .join('  ');
      console.log(
        `  ${String(r.tags).padStart(6)}  ${`${r.coldMs.toFixed(0)} ms`.padStart(10)}  ${`${r.idleMs.toFixed(0)} ms`.padStart(10)}  ${`${r.warmMs.toFixed(0)} ms`.padStart(10)}  ${`${r.coldRequests} / ${r.warmRequests}`.padStart(19)}  ${mib(r.steadyMib).padStart(10)}  ${mib(r.coldPeakMib)}  ${mib(r.warmPeakMib)}  ${ratios}`,
      );
    }
    for (const r of [floor, ...rows])
      console.log(
        `  ${String(r.tags).padStart(6)} tags: RSS ${r.steadyMib.toFixed(0)} MiB 2 s after the warm pass, ${r.settledMib.toFixed(0)} MiB settled (15 s); then V8 heap ${r.heap.used.toFixed(0)} MiB used of ${r.heap.total.toFixed(0)} MiB committed (${r.heap.spaces}), external ${r.heap.external.toFixed(0)} MiB`,
      );
    const last = rows[rows.length - 1] as Row;
    if (rows.length > 1)
      console.log(
        `  growth per 1,000 tags (first → last row): steady ${(((last.steadyMib - first.steadyMib) / (last.tags - first.tags)) * 1000).toFixed(1)} MiB, cold peak ${(((last.coldPeakMib - first.coldPeakMib) / (last.tags - first.tags)) * 1000).toFixed(1)} MiB, cold pass ${(((last.coldMs - first.coldMs) / (last.tags - first.tags)) * 1000).toFixed(0)} ms, warm pass ${(((last.warmMs - first.warmMs) / (last.tags - first.tags)) * 1000).toFixed(0)} ms; floor ${floor.steadyMib.toFixed(0)} MiB steady`,
      );
  } finally {
    await server.stop();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
