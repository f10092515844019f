/**
 * Wait for a condition the tests observe from outside (a remote's file, a log line, an endpoint): `fn` returns the
 * value when it holds, undefined or false while it does not; a throw counts as "not yet". Polls until `timeoutMs`.
 */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  everyMs = 150,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
