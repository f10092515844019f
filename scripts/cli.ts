/** Run the CLI from the TypeScript sources (no build step): `npx tsx scripts/cli.ts <command> ...`. Used by tests. */
import { run } from '../src/cli/main.js';

process.exitCode = await run(process.argv.slice(2));
