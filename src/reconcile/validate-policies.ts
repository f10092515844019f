/** Validation of the tag annotations of policies, holds and maturity (docs/policies.md), at their line and column. */
import type { LocatedFinding, ManifestObject } from './objects.js';
import { isRecord, locate } from './objects.js';
import type { TagReference } from './model.js';
import { validateHold } from './holds.js';
import { validateMinAge } from './maturity.js';
import { validatePolicy } from './policy.js';

export function validateTagAnnotations(objects: readonly ManifestObject[]): LocatedFinding[] {
  const out: LocatedFinding[] = [];
  for (const object of objects) {
    if (object.kind !== 'ImageStream' || object.template) continue;
    const spec = isRecord(object.value.spec) ? object.value.spec : {};
    const tags = Array.isArray(spec.tags) ? spec.tags : [];
    tags.forEach((t, i) => {
      if (!isRecord(t) || !isRecord(t.annotations)) return;
      const tag = t as unknown as TagReference;
      const base = `/spec/tags/${i}`;
      for (const f of [...validatePolicy(tag, base), ...validateHold(tag, base), ...validateMinAge(tag, base)]) out.push(locate(object, f));
    });
  }
  return out;
}
