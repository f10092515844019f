/**
 * cli-baseline: what the CLI costs before it does any work (issue "Cost", goal 5). The built entry point, as users
 * run it (`node bin/imagestreams.js`, after building dist/ from today's sources), for `--version`, `--help` and
 * `validate` of one small file; wall time and peak RSS, median of 5, against bare Node (`node -e ''`) measured in
 * the same run. Peak RSS comes from `/usr/bin/time -v` when it is there, else from the child's own
 * `process.resourceUsage().maxRSS`, reported at exit by a tiny preloaded module.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/imagestreams.js');
const gnuTime = '/usr/bin/time';
const runs = 5;
/** The fallback probe: prints the child's peak RSS (KiB on Linux) to stderr as it exits. */
const probe = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nmaxrss-kib:'+process.resourceUsage().maxRSS+'\\n'))`;

interface Sample {
  readonly ms: number;
  readonly rssKib: number;
}

function once(args: readonly string[]): Promise<Sample> {
  const viaTime = existsSync(gnuTime);
  const [command, argv] = viaTime ? [gnuTime, ['-v', process.execPath, ...args]] : [process.execPath, ['--import', probe, ...args]];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, argv, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      const m = viaTime ? /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr) : /maxrss-kib:(\d+)/.exec(stderr);
      if (code !== 0 || !m) reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
      else resolve({ ms, rssKib: Number(m[1]) });
    });
  });
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function measure(args: readonly string[]): Promise<{ ms: number; rssMib: number }> {
  await once(args); // warm the file cache
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i += 1) samples.push(await once(args));
  return { ms: median(samples.map((s) => s.ms)), rssMib: median(samples.map((s) => s.rssKib)) / 1024 };
}

export async function cliBaseline(): Promise<void> {
  // dist/ from today's sources, as `npm run build` makes it (the e2e test does the same).
  await promisify(execFile)(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
  });
  const bare = await measure(['-e', '']);
  const cases: Array<[string, string[]]> = [
    ['--version', [bin, '--version']],
    ['--help', [bin, '--help']],
    ['validate <one file>', [bin, 'validate', 'examples/streams/ruby.yaml']],
  ];
  console.log('cli-baseline');
  console.log(`  peak RSS from             ${existsSync(gnuTime) ? '/usr/bin/time -v' : 'process.resourceUsage().maxRSS'}`);
  console.log(`  bare node -e ''           ${bare.ms.toFixed(0)} ms, ${bare.rssMib.toFixed(1)} MiB RSS (median of ${runs})`);
  for (const [name, args] of cases) {
    const r = await measure(args);
    console.log(
      `  ${name.padEnd(24)}  ${r.ms.toFixed(0)} ms (${(r.ms / bare.ms).toFixed(1)}x), ${r.rssMib.toFixed(1)} MiB RSS (+${(r.rssMib - bare.rssMib).toFixed(1)} MiB over bare Node)`,
    );
  }
}
