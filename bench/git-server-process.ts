/**
 * The benchmarks' Git server in a process of its own: `git http-backend` CGI spawns would otherwise run on the
 * event loop of the daemon being measured. Prints its URL on the first line of stdout, stops on SIGTERM.
 */
import { startGitServer } from '../test/support/git-server.js';

const root = process.argv[2];
if (!root) throw new Error('usage: git-server-process.ts PROJECT_ROOT');
const server = await startGitServer({ projectRoot: root });
process.stdout.write(`${server.url}\n`);
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
