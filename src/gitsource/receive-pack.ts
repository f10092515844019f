/**
 * A push of one commit whose new objects are known (GitRepo.commitFiles made them), in Git's smart HTTP protocol:
 * one ref advertisement, one request carrying the ref update and a pack of exactly those objects. isomorphic-git's
 * push finds the objects to send by walking the whole tree of the new commit and of the remote's (every folder,
 * each object read and inflated through web streams) and packs them again from disk; here the pack is built from
 * memory. Used only when the remote branch is at the commit's parent, so every object the new trees reference and
 * the pack does not hold is already on the server; anything else (a new branch, a remote that moved, a server that
 * does not speak the smart protocol or report status) answers `undefined` and the caller pushes with isomorphic-git.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { GitHttpClient } from './http.js';
import { collect } from './http.js';

export type ObjectType = 'commit' | 'tree' | 'blob';

export interface PackObject {
  readonly type: ObjectType;
  /** The object's content, without Git's `type size\0` header. */
  readonly content: Buffer;
}

export interface ReceivePackRequest {
  readonly http: GitHttpClient;
  readonly url: string;
  readonly credentials?: { readonly username: string; readonly password: string } | undefined;
  /** `refs/heads/…` on the remote. */
  readonly ref: string;
  /** The commit, its parent (the remote ref must be there for this push to be made) and every object it made. */
  readonly made: { readonly commit: string; readonly parent: string; readonly objects: ReadonlyMap<string, PackObject> };
}

/** What the server said about the ref, or undefined when this path does not apply (the caller falls back). */
export type ReceivePackResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string }
  | { readonly httpStatus: number; readonly ok: false; readonly reason: string };

const typeCode: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3 };

export function pktLine(text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0'), 'ascii'), payload]);
}

/** The payloads of a pkt-line stream (null for a flush). */
export function* pktLines(data: Buffer): Generator<Buffer | null> {
  let at = 0;
  while (at + 4 <= data.length) {
    const len = Number.parseInt(data.subarray(at, at + 4).toString('ascii'), 16);
    if (Number.isNaN(len)) return;
    if (len < 4) {
      yield null;
      at += 4;
      continue;
    }
    yield data.subarray(at + 4, at + len);
    at += len;
  }
}

/** A version 2 pack of whole (undeltified) objects. */
export function buildPack(objects: Iterable<PackObject>): Buffer {
  const parts: Buffer[] = [];
  let count = 0;
  for (const o of objects) {
    let size = o.content.length;
    const header: number[] = [];
    let byte = (typeCode[o.type] << 4) | (size & 0x0f);
    size = Math.floor(size / 16);
    while (size > 0) {
      header.push(byte | 0x80);
      byte = size & 0x7f;
      size = Math.floor(size / 128);
    }
    header.push(byte);
    // Copied to its own size: zlib's result is a view of a 16 KiB chunk, and a pack of 2,000 objects held 2,000 of
    // them at once (32 MiB that the allocator kept after they were freed).
    parts.push(Buffer.from(header), Buffer.from(deflateSync(o.content, { level: 1 })));
    count += 1;
  }
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'ascii');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(count, 8);
  const body = Buffer.concat([head, ...parts]);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

export async function receivePack(req: ReceivePackRequest): Promise<ReceivePackResult | undefined> {
  const base = req.url.replace(/\/+$/, '');
  const c = req.credentials;
  const auth: Record<string, string> = c ? { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` } : {};
  const discovery = await req.http.request({
    url: `${base}/info/refs?service=git-receive-pack`,
    method: 'GET',
    headers: { ...auth, accept: 'application/x-git-receive-pack-advertisement' },
  });
  const advertisement = await collect(discovery.body);
  if (discovery.statusCode !== 200) return undefined;
  if (!(discovery.headers['content-type'] ?? '').startsWith('application/x-git-receive-pack-advertisement')) return undefined;
  const refs = new Map<string, string>();
  let capabilities = new Set<string>();
  let first = true;
  for (const line of pktLines(advertisement)) {
    if (line === null) continue;
    const text = line.toString('utf8').replace(/\n$/, '');
    if (text.startsWith('# service=')) continue;
    const nul = text.indexOf('\0');
    const refPart = nul >= 0 ? text.slice(0, nul) : text;
    if (first && nul >= 0)
      capabilities = new Set(
        text
          .slice(nul + 1)
          .split(' ')
          .filter(Boolean),
      );
    first = false;
    const [oid, name] = refPart.split(' ');
    if (oid && name) refs.set(name, oid);
  }
  if (!capabilities.has('report-status')) return undefined;
  const old = refs.get(req.ref);
  if (old !== req.made.parent) return undefined;
  const command = pktLine(`${old} ${req.made.commit} ${req.ref}\0 report-status\n`);
  const pack = buildPack(req.made.objects.values());
  const res = await req.http.request({
    url: `${base}/git-receive-pack`,
    method: 'POST',
    headers: {
      ...auth,
      'content-type': 'application/x-git-receive-pack-request',
      accept: 'application/x-git-receive-pack-result',
    },
    body: [command, Buffer.from('0000', 'ascii'), pack],
  });
  const answer = await collect(res.body);
  if (res.statusCode !== 200) return { httpStatus: res.statusCode, ok: false, reason: `HTTP ${res.statusCode}` };
  let unpack: string | undefined;
  let refStatus: { ok: boolean; reason: string } | undefined;
  for (const line of pktLines(answer)) {
    if (line === null) continue;
    const text = line.toString('utf8').replace(/\n$/, '');
    if (text.startsWith('unpack ')) unpack = text.slice('unpack '.length);
    else if (text.startsWith(`ok ${req.ref}`)) refStatus = { ok: true, reason: '' };
    else if (text.startsWith(`ng ${req.ref} `)) refStatus = { ok: false, reason: text.slice(`ng ${req.ref} `.length) };
  }
  if (unpack !== 'ok') return { ok: false, reason: `unpack ${unpack ?? 'failed (no status)'}` };
  if (refStatus === undefined) return { ok: false, reason: 'no status for the ref' };
  return refStatus.ok ? { ok: true } : { ok: false, reason: refStatus.reason };
}
