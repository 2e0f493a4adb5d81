import { statSync } from "node:fs";
import { InputError } from "../errors.ts";
import { bytePath, displayPath, emptyFileWalk, inputError, recordSkipped, walkFiles, type FileWalk } from "./encodings.ts";
import { errnoCode, nativeHasher } from "./native.ts";
import { SKIP_REASONS } from "./skipped.ts";

/** A files dataset's walk with every file's size (`sizes[i]` is `files[i]`'s), as planning needs them. */
export interface SizedFileWalk extends FileWalk {
  sizes: ArrayLike<number>;
}

/**
 * walkFiles plus each file's size: one native call (native/hash.c walkFiles: readdir and an fstatat per file,
 * no JavaScript objects per entry) where the addon is built, else the JavaScript walk and a stat per file.
 * Both give the same walk, sizes and errors (test/dataset/sized-walk.test.ts).
 */
export function walkFilesWithSizes(dir: string): SizedFileWalk {
  return nativeWalkFiles(dir) ?? javascriptWalkWithSizes(dir);
}

/** The reference: the JavaScript walk, then a stat per file (following nothing new: each entry is a regular file). */
export function javascriptWalkWithSizes(dir: string): SizedFileWalk {
  const walk = walkFiles(dir);
  const sizes = new Float64Array(walk.files.length);
  walk.files.forEach((f, i) => {
    try {
      sizes[i] = statSync(bytePath(walk.root + f)).size;
    } catch (e) {
      throw inputError(displayPath(walk.root + f), e);
    }
  });
  return { ...walk, sizes };
}

/** The native walk, or null without the addon. Throws what the JavaScript walk throws, word for word. */
export function nativeWalkFiles(dir: string): SizedFileWalk | null {
  const native = nativeHasher();
  if (typeof native?.walkFiles !== "function") return null; // no addon, or one built before the walk existed
  const walk = emptyFileWalk(dir);
  const r = native.walkFiles(bytePath(walk.root));
  if (r.failure?.op === "list") {
    const path = displayPath(r.failure.path!.toString("latin1"));
    throw new InputError("INPUT_UNREADABLE", `cannot list ${path} (${errnoCode(r.failure.errno)})`, { cause: r.failure });
  }
  if (r.failure?.op === "memory") throw new RangeError("the native file walk ran out of memory");
  // Each name ends with a NUL (names hold none): drop the last before splitting.
  if (r.files > 0) walk.files = r.names.toString("latin1", 0, r.names.length - 1).split("\0");
  if (r.failure?.op === "stat") throw inputError(displayPath(walk.root + walk.files[r.failure.index]), { code: errnoCode(r.failure.errno) });
  if (r.reasons.length > 0) {
    const skipped = r.skipped.toString("latin1", 0, r.skipped.length - 1).split("\0");
    skipped.forEach((rel, i) => recordSkipped(walk, rel, SKIP_REASONS[r.reasons[i]]));
  }
  const sizes = r.sizes.byteOffset % 8 === 0 ? r.sizes : new Uint8Array(r.sizes);
  return { ...walk, sizes: new Float64Array(sizes.buffer, sizes.byteOffset, r.files) };
}
