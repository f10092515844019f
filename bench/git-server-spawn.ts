/** Start the benchmarks' Git server in a process of its own (git-server-process.ts). */
export async function gitServerProcess(projectRoot: string): Promise<{ url: string; projectRoot: string; stop(): Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(projectRoot, { recursive: true });
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./git-server-process.ts', import.meta.url).pathname, projectRoot], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`the Git server process exited (${code})`)));
  });
  return {
    url,
    projectRoot,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
