/** This project's CLI as a child process (node --import tsx scripts/cli.ts ...), as a person or CI would run it. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(projectRoot, 'scripts/cli.ts'), ...args],
      { cwd: projectRoot, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, maxBuffer: 64 << 20, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 70) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
