import type { TestProject } from 'vitest/node';
import { startGitServer } from './support/git-server.js';
import { killPid } from './support/processes.js';
import { startRegistry } from './support/registry.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Plain (no auth, HTTP) registry base URL, e.g. http://127.0.0.1:5123 */
    registryUrl: string;
    /** '127.0.0.1:port' of the plain registry. */
    registryHost: string;
    /** PID of the shared registry process. */
    registryPid: number;
    /** Base URL of the shared git http-backend server (no auth). */
    gitUrl: string;
    /** GIT_PROJECT_ROOT of the shared git server: create bare repos here with createBareRepo(). */
    gitProjectRoot: string;
  }
}

/** vitest globalSetup: one shared plain registry and one git server for all test files. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const registry = await startRegistry();
  let gitServer: Awaited<ReturnType<typeof startGitServer>> | undefined;
  try {
    gitServer = await startGitServer();
  } catch (err) {
    await registry.stop();
    throw err;
  }
  project.provide('registryUrl', registry.url);
  project.provide('registryHost', registry.host);
  project.provide('registryPid', registry.pid);
  project.provide('gitUrl', gitServer.url);
  project.provide('gitProjectRoot', gitServer.projectRoot);

  const git = gitServer;
  return async () => {
    await git.stop();
    await registry.stop();
    // Belt and braces: make sure the registry PID is gone.
    await killPid(registry.pid, 1000);
  };
}
