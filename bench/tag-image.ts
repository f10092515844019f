/** Bench setup: many tags of one image in a real registry, one manifest PUT each (the blobs are pushed once). */
import { Agent, request } from 'undici';
import { buildImage } from '../test/support/images.js';
import { pushImage } from '../test/support/push.js';

/** The tags t0..t(n-1) of one image in `repo`. */
export async function tagImage(registryUrl: string, repo: string, n: number, seed: string): Promise<void> {
  const image = buildImage({ seed });
  await pushImage({ url: registryUrl }, repo, 't0', image);
  const agent = new Agent({ connections: 16 });
  let next = 1;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        const i = next++;
        const res = await request(`${registryUrl}/v2/${repo}/manifests/t${i}`, {
          method: 'PUT',
          dispatcher: agent,
          headers: { 'content-type': image.manifest.mediaType },
          body: image.manifest.data,
        });
        await res.body.dump();
        if (res.statusCode !== 201) throw new Error(`PUT t${i}: ${res.statusCode}`);
      }
    }),
  );
  await agent.close();
}
