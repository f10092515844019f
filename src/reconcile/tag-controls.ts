/** What `describe` says of a spec tag's policy, hold and minimum age (docs/policies.md), one line each. */
import { readHold } from './holds.js';
import { minAgeAnnotation, readPending } from './maturity.js';
import type { TagReference } from './model.js';
import { isRecord } from './objects.js';
import { policyChoiceAnnotation, readPolicy } from './policy.js';

export function tagControls(tag: TagReference): string[] {
  const notes = isRecord(tag.annotations) ? tag.annotations : {};
  const out: string[] = [];
  const policy = readPolicy(tag);
  if (policy?.ok) {
    const choice = notes[policyChoiceAnnotation];
    out.push(`follows policy ${policy.policy.text}${typeof choice === 'string' ? ` (last chose ${choice})` : ''}`);
  } else if (policy) out.push(`! invalid policy: ${policy.error}`);
  const hold = readHold(tag);
  if (hold?.ok) {
    const h = hold.hold;
    out.push(
      `held${h.image ? ` at ${h.image}` : ''}${h.until ? ` until ${h.until}` : ''}${h.since ? ` since ${h.since}` : ''}${h.reason ? `: ${h.reason}` : ''}`,
    );
  } else if (hold) out.push(`! invalid hold: ${hold.error}`);
  if (typeof notes[minAgeAnnotation] === 'string') out.push(`adopts new images after ${notes[minAgeAnnotation]}`);
  const pending = readPending(tag);
  if (pending) out.push(`pending: ${pending.dockerImageReference} (first seen ${pending.seen})`);
  return out;
}
