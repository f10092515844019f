import { createRegistryImporter } from '../../src/import/index.js';
import type { ImporterSettings, RegistryImporter } from '../../src/import/index.js';

/** Importer settings for tests: no proxies, no home credentials, a given cache directory. */
export function testSettings(overrides: Partial<ImporterSettings> = {}): ImporterSettings {
  return {
    authFile: undefined,
    pullSecrets: [],
    dockerConfigDir: undefined,
    homeDir: '/nonexistent-home',
    cacheDir: undefined,
    certsDirs: [],
    platform: undefined,
    allowed: [],
    blocked: [],
    insecureForbidden: [],
    concurrency: 8,
    retries: 2,
    maxRetryAfterMs: 5000,
    timeoutMs: 5000,
    maxConfigBytes: 8 * 1024 * 1024,
    proxy: {},
    ...overrides,
  };
}

export async function withImporter<T>(settings: ImporterSettings, fn: (r: RegistryImporter) => Promise<T>): Promise<T> {
  const r = await createRegistryImporter(settings);
  try {
    return await fn(r);
  } finally {
    await r.close();
  }
}
