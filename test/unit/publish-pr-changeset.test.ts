/** The change-set fingerprint of pull-request mode (publish-pr.ts): the times a pass writes are no change. */
import { describe, expect, it } from 'vitest';
import { changeSetOf } from '../../src/cli/publish-pr.js';

const before = 'status:\n  tags:\n  - tag: old\n    items:\n    - created: "2024-01-01T00:00:00Z"\n      image: sha256:aaa\n';
const written = (created: string, image = 'sha256:bbb', kept = '2024-01-01T00:00:00Z') =>
  `status:\n  tags:\n  - tag: live\n    items:\n    - created: "${created}"\n      image: ${image}\n  - tag: old\n    items:\n    - created: "${kept}"\n      image: sha256:aaa\n`;

describe('changeSetOf', () => {
  it('leaves out the times the pass wrote: the same import at another time is the same change set', () => {
    const a = changeSetOf([{ file: 's.yaml', before, after: written('2024-05-01T12:00:00Z') }]);
    expect(changeSetOf([{ file: 's.yaml', before, after: written('2024-05-01T12:07:31Z') }])).toBe(a);
    expect(changeSetOf([{ file: 's.yaml', before, after: written('2024-05-01T12:07:31.25+02:00') }])).toBe(a);
  });

  it('a new image, a time the file already had that changed, another file or path are different change sets', () => {
    const a = changeSetOf([{ file: 's.yaml', before, after: written('2024-05-01T12:00:00Z') }]);
    expect(changeSetOf([{ file: 's.yaml', before, after: written('2024-05-01T12:00:00Z', 'sha256:ccc') }])).not.toBe(a);
    // A time the file had before is content: another of those is another change set.
    const both = `${before}# 2023-01-01T00:00:00Z\n`;
    expect(
      changeSetOf([{ file: 's.yaml', before: both, after: written('2024-05-01T12:00:00Z', 'sha256:bbb', '2023-01-01T00:00:00Z') }]),
    ).not.toBe(changeSetOf([{ file: 's.yaml', before: both, after: written('2024-05-01T12:00:00Z') }]));
    expect(changeSetOf([{ file: 't.yaml', before, after: written('2024-05-01T12:00:00Z') }])).not.toBe(a);
    expect(
      changeSetOf([
        { file: 's.yaml', before, after: written('2024-05-01T12:00:00Z') },
        { file: 'u.yaml', before: '', after: 'x\n' },
      ]),
    ).not.toBe(a);
  });

  it('does not depend on the order of the files', () => {
    const f = [
      { file: 'a.yaml', before: '', after: 'a\n' },
      { file: 'b.yaml', before: '', after: 'b\n' },
    ];
    expect(changeSetOf(f)).toBe(changeSetOf([...f].reverse()));
  });
});
