/**
 * The `webdataset` encoding's rules (docs/formats/encodings-v2.md): how a tar member's name splits into a key and an
 * extension, how members group into samples, and a sample's canonical bytes. Names are byte strings (one
 * character per byte, as FileWalk keeps them), so names that are not UTF-8 keep their bytes. Browser-safe: no
 * node:* imports; the CLI reads shards with tar-shard.ts, the browser can hand members in directly.
 */
import { InputError } from "../../errors.ts";
import { pathText } from "../path-text.ts";

/** A byte string as people read it (path-text.ts), for messages. */
export const nameText = (name: string): string => pathText(byteStringBytes(name));

export const byteStringBytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
export const bytesToByteString = (b: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
};
/** A name as typed (a JavaScript string) in its UTF-8 bytes, as a byte string. */
export const utf8ByteString = (name: string): string => bytesToByteString(new TextEncoder().encode(name));

/**
 * WebDataset's rule: the key is the path up to the first `.` of the last path segment, the extension is the rest
 * ("a/b/000123.seg.png" is key "a/b/000123", extension "seg.png"). Returns why not for a name with no key or no
 * extension (no `.`, a leading `.`, a trailing `.`).
 */
export function splitMemberName(name: string): { key: string; extension: string } | { why: string } {
  const slash = name.lastIndexOf("/");
  const base = name.slice(slash + 1);
  const dot = base.indexOf(".");
  if (dot < 0) return { why: "has no extension (a WebDataset member is <key>.<extension>)" };
  if (dot === 0) return { why: "starts with a dot, so it has no key" };
  if (dot === base.length - 1) return { why: "ends with a dot, so it has no extension" };
  return { key: name.slice(0, slash + 1 + dot), extension: base.slice(dot + 1) };
}

export interface Member {
  /** The extension, as a byte string. */
  extension: string;
  /** SHA-256 of the member's bytes: the leaf the same file has under `files`. */
  digest: Uint8Array;
}

/** ASCII letters folded to lower case: WebDataset's loader lower-cases extensions, so these name one field. */
const foldCase = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * The canonical bytes of a sample: its members sorted by extension (byte order), each as a 4-byte big-endian
 * length, the extension's bytes and the member's SHA-256. Throws `why` when two extensions are equal ignoring ASCII
 * case (the caller names the sample).
 */
export function sampleBytes(members: readonly Member[]): Uint8Array | { why: string } {
  const sorted = [...members].sort((a, b) => (a.extension < b.extension ? -1 : a.extension > b.extension ? 1 : 0));
  const folded = new Set<string>();
  let size = 0;
  for (const m of sorted) {
    const f = foldCase(m.extension);
    if (folded.has(f)) return { why: `has the extension "${nameText(m.extension)}" twice (extensions are compared ignoring ASCII case)` };
    folded.add(f);
    size += 4 + m.extension.length + 32;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const m of sorted) {
    view.setUint32(at, m.extension.length);
    at += 4;
    for (let i = 0; i < m.extension.length; i++) out[at++] = m.extension.charCodeAt(i);
    out.set(m.digest, at);
    at += 32;
  }
  return out;
}

/**
 * Groups a shard's members, in tar order, into samples: a key's members must be adjacent (as WebDataset writers put
 * them and its loader reads them); a key that comes back after another key, a member without a key or extension,
 * and a repeated extension are refused, naming the shard and the member.
 */
export class SampleGrouper {
  private readonly where: string;
  private readonly onSample: (canonical: Uint8Array, key: string) => void;
  private key: string | null = null;
  private members: Member[] = [];
  private readonly seen = new Set<string>();
  firstKey: string | null = null;
  samples = 0;
  memberCount = 0;

  constructor(where: string, onSample: (canonical: Uint8Array, key: string) => void) {
    this.where = where;
    this.onSample = onSample;
  }

  get lastKey(): string | null {
    return this.key;
  }

  private refuse(index: number, name: string, why: string): InputError {
    return new InputError("INPUT_INVALID", `${this.where}: member #${index} "${nameText(name)}" ${why}`);
  }

  /** Adds member number `index` (from 0, in tar order) named `name` (a byte string). */
  add(name: string, digest: Uint8Array, index: number): void {
    const split = splitMemberName(name);
    if ("why" in split) throw this.refuse(index, name, split.why);
    if (split.key !== this.key) {
      this.flush(index, name);
      if (this.seen.has(split.key)) {
        throw this.refuse(index, name, `comes back to key "${nameText(split.key)}" after other keys: a sample's members must be adjacent in its shard`);
      }
      this.seen.add(split.key);
      this.key = split.key;
      this.firstKey ??= split.key;
    }
    this.members.push({ extension: split.extension, digest });
    this.memberCount++;
  }

  private flush(index: number, name: string): void {
    if (this.key === null) return;
    const bytes = sampleBytes(this.members);
    if ("why" in bytes) throw this.refuse(index, name, `ends sample "${nameText(this.key)}", which ${bytes.why}`);
    this.onSample(bytes, this.key);
    this.samples++;
    this.members = [];
  }

  /** Ends the shard: emits the last sample. */
  end(): void {
    if (this.key !== null) {
      const bytes = sampleBytes(this.members);
      if ("why" in bytes) throw new InputError("INPUT_INVALID", `${this.where}: sample "${nameText(this.key)}" ${bytes.why}`);
      this.onSample(bytes, this.key);
      this.samples++;
      this.members = [];
    }
  }
}

/**
 * A sample given as its member files (what `provenant prove` takes): their names must share one key, and the
 * canonical bytes are those a shard holding them would give. `names` are the files' last path segments as byte
 * strings (the key's directory part does not count: a shard's directories are not on the command line).
 */
export function sampleFromMembers(members: ReadonlyArray<{ name: string; digest: Uint8Array }>): Uint8Array {
  if (members.length === 0) throw new InputError("INPUT_INVALID", "a WebDataset sample needs at least one member file");
  let key: string | null = null;
  const parts: Member[] = [];
  for (const m of members) {
    const base = m.name.slice(m.name.lastIndexOf("/") + 1);
    const split = splitMemberName(base);
    if ("why" in split) throw new InputError("INPUT_INVALID", `"${nameText(base)}" ${split.why}`);
    if (key !== null && split.key !== key) {
      throw new InputError(
        "INPUT_INVALID",
        `"${nameText(base)}" has key "${nameText(split.key)}", the other members "${nameText(key)}": one sample's files share one key`,
      );
    }
    key = split.key;
    parts.push({ extension: split.extension, digest: m.digest });
  }
  const bytes = sampleBytes(parts);
  if ("why" in bytes) throw new InputError("INPUT_INVALID", `sample "${nameText(key!)}" ${bytes.why}`);
  return bytes;
}

/**
 * The keys where one shard ends and the next begins must differ: WebDataset's loader reads shards as one stream,
 * so a key split over two shards would be one sample to it and two here. `shards` are in plan order.
 */
export function checkShardBoundaries(shards: ReadonlyArray<{ name: string; firstKey: string | null; lastKey: string | null }>): void {
  let a: (typeof shards)[number] | null = null;
  for (const b of shards) {
    if (b.firstKey === null) continue; // an empty shard joins nothing
    if (a && a.lastKey === b.firstKey) {
      throw new InputError(
        "INPUT_INVALID",
        `key "${nameText(b.firstKey)}" is split between ${a.name} and ${b.name}: a sample's members must lie in one shard (re-shard so each key is whole)`,
      );
    }
    a = b;
  }
}
