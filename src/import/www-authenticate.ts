/** `WWW-Authenticate` challenges (RFC 7235), as registries send them: `Bearer realm="…",service="…",scope="…"`. */

export interface Challenge {
  /** Lowercased scheme: `basic`, `bearer`, … */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses one header value that may hold several challenges. Unparseable parts are skipped, never thrown. */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Array<{ scheme: string; params: Record<string, string> }> = [];
  let i = 0;
  const n = header.length;
  const skipSpace = (): void => {
    while (i < n && /[\s,]/.test(header[i] ?? '')) i += 1;
  };
  const token = (): string => {
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i] ?? '')) i += 1;
    return header.slice(start, i);
  };
  while (i < n) {
    skipSpace();
    const word = token();
    if (word === '') {
      i += 1;
      continue;
    }
    // After a token: `=` means a parameter of the current challenge, otherwise a new scheme.
    let j = i;
    while (j < n && header[j] === ' ') j += 1;
    const current = out.at(-1);
    if (header[j] === '=' && current && header[j + 1] !== '=') {
      i = j + 1;
      while (i < n && header[i] === ' ') i += 1;
      let value = '';
      if (header[i] === '"') {
        i += 1;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i += 1;
          value += header[i];
          i += 1;
        }
        i += 1;
      } else {
        const start = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ') i += 1;
        value = header.slice(start, i);
      }
      current.params[word.toLowerCase()] = value;
    } else {
      out.push({ scheme: word.toLowerCase(), params: {} });
      // token68 form (e.g. `Negotiate abc==`): skip it.
      while (i < n && header[i] === ' ') i += 1;
      const t68 = /^[A-Za-z0-9\-._~+/]+=*(?=\s*(,|$))/.exec(header.slice(i));
      if (
        t68 &&
        !header
          .slice(i + t68[0].length)
          .trimStart()
          .startsWith('=')
      )
        i += t68[0].length;
    }
  }
  return out;
}
