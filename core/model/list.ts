import { lstatSync, readdirSync, statSync, type Stats } from "node:fs";
import { join, relative, sep } from "node:path";
import { InputError } from "../errors.ts";
import { comparePaths } from "./paths.ts";

export interface WeightFile {
  /** Relative POSIX path inside the weights directory. */
  path: string;
  /** Absolute path on disk. */
  abs: string;
  size: number;
}

export interface WeightListing {
  /** Non-empty regular files (or symlinks to them), in manifest order. */
  files: WeightFile[];
  /** Hidden entries (a name starting with "."), not hashed; a hidden directory counts once. */
  hidden: string[];
  /** Empty files: like model-signing's shard serialization, they contribute no resource. */
  empty: string[];
}

function statOrThrow(path: string): Stats {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError("INPUT_NOT_FOUND", `${path} does not exist`, { cause: e });
    throw new InputError("INPUT_UNREADABLE", `cannot read ${path} (${code ?? "error"})`, { cause: e });
  }
}

/**
 * Lists the weight files under `dir`: every regular file, following symbolic links to files (a Hugging Face
 * cache snapshot is all links), skipping hidden entries. A link to a directory, a dangling link or a special
 * file is refused: the manifest must name exactly what a loader would read.
 */
export function listWeightFiles(dir: string): WeightListing {
  const top = statOrThrow(dir);
  if (!top.isDirectory()) {
    throw new InputError("INPUT_INVALID", `${dir} is not a directory: give the directory that holds the weight files`);
  }
  const files: WeightFile[] = [];
  const hidden: string[] = [];
  const empty: string[] = [];
  const toPosix = (abs: string) => relative(dir, abs).split(sep).join("/");
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      throw new InputError("INPUT_UNREADABLE", `cannot list ${d} (${(e as NodeJS.ErrnoException).code})`, { cause: e });
    }
    for (const dirent of entries) {
      const abs = join(d, dirent.name);
      // Some file systems report no type in directory entries: ask lstat then.
      const known =
        dirent.isFile() ||
        dirent.isDirectory() ||
        dirent.isSymbolicLink() ||
        dirent.isFIFO() ||
        dirent.isSocket() ||
        dirent.isBlockDevice() ||
        dirent.isCharacterDevice();
      const entry = known ? dirent : Object.assign(lstatSync(abs), { name: dirent.name });
      const path = toPosix(abs);
      if (entry.name.startsWith(".")) {
        hidden.push(path);
        continue;
      }
      if (entry.isDirectory()) {
        walk(abs);
        continue;
      }
      let st: Stats;
      if (entry.isSymbolicLink()) {
        try {
          st = statSync(abs);
        } catch (e) {
          throw new InputError("INPUT_INVALID", `${path} is a symbolic link to nothing: fix or remove it`, { cause: e });
        }
        if (!st.isFile()) throw new InputError("INPUT_INVALID", `${path} is a symbolic link to something other than a file`);
      } else if (entry.isFile()) {
        st = statOrThrow(abs);
      } else {
        throw new InputError("INPUT_INVALID", `${path} is not a regular file (a socket, FIFO or device)`);
      }
      if (path.includes("\\") || /[\u0000-\u001f]/.test(path)) {
        throw new InputError("INPUT_INVALID", `${JSON.stringify(path)}: weight file names may not hold backslashes or control characters`);
      }
      if (st.size === 0) empty.push(path);
      else files.push({ path, abs, size: st.size });
    }
  };
  walk(dir);
  files.sort((a, b) => comparePaths(a.path, b.path));
  hidden.sort(comparePaths);
  empty.sort(comparePaths);
  return { files, hidden, empty };
}
