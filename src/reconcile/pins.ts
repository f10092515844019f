/**
 * Which history items a spec tag pins (what `prune` must never remove): an ImageStreamImage tag names its image by
 * an id the server matches as a prefix of an image in the source stream's history (semantics.md §3.5), so a short
 * id (`ruby@49c18358`) pins every item of that stream whose image it is a prefix of, as the server would resolve
 * it; a DockerImage tag pinned by digest pins that digest. Pure.
 */
import { specTagsOf } from './accessors.js';
import { kinds } from './model.js';
import { isDigest } from './reference.js';
import { parseImageSource } from './tag-names.js';

export interface PinnedStream {
  readonly namespace: string;
  readonly name: string;
  readonly value: Readonly<Record<string, unknown>>;
}

/** Whether an image (a digest) of stream `namespace/name` is pinned by some spec tag of the streams given. */
export type PinTest = (namespace: string, name: string, image: string) => boolean;

const digestIn = /sha(?:256|384|512):[a-f0-9]+/;

export function imagePins(streams: readonly PinnedStream[]): PinTest {
  const digests = new Set<string>();
  const prefixes = new Map<string, string[]>();
  for (const s of streams) {
    for (const t of specTagsOf(s.value)) {
      const name = typeof t.from?.name === 'string' ? t.from.name : '';
      if (t.from?.kind === kinds.imageStreamImage) {
        const parsed = parseImageSource(name);
        if ('error' in parsed) continue;
        const key = `${t.from.namespace || s.namespace}/${parsed.stream ?? s.name}`;
        prefixes.set(key, [...(prefixes.get(key) ?? []), parsed.id]);
      } else {
        const digest = digestIn.exec(name)?.[0];
        if (digest) digests.add(digest);
      }
    }
  }
  return (namespace, name, image) => {
    if (digests.has(image)) return true;
    const hex = isDigest(image) ? image.slice(image.indexOf(':') + 1) : undefined;
    return (prefixes.get(`${namespace}/${name}`) ?? []).some((id) => image.startsWith(id) || hex?.startsWith(id) === true);
  };
}
