import { mkdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { StorageError } from "../errors.ts";
import { cidOf, parseCid } from "./cid.ts";
import { DEFAULT_MAX_GET_BYTES, tooLargeMessage, type ContentStore, type GetOptions } from "./store.ts";

/**
 * The embedded content-addressed store: one file per CID under `<dir>/ipfs/`.
 * Writes go to a temporary name and are renamed into place, so a crash never leaves a partial object,
 * and reads re-derive the CID, so a file changed on disk is reported instead of served.
 */
export class LocalStore implements ContentStore {
  readonly kind = "local";
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "ipfs");
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      throw new StorageError("STORAGE_UNREACHABLE", `cannot create the local store at ${this.dir}`, { cause: e });
    }
  }

  pathOf(cid: string): string {
    return join(this.dir, parseCid(cid));
  }

  async put(bytes: Uint8Array): Promise<string> {
    const cid = await cidOf(bytes);
    const path = join(this.dir, cid);
    // Same CID already here: keep it, unless the copy on disk was damaged, which this write repairs.
    if (!existsSync(path) || !readFileSync(path).equals(bytes)) {
      const tmp = join(this.dir, `.tmp-${randomBytes(8).toString("hex")}`);
      // On the thread pool: a dataset's shards are written while the next ones are cut and named.
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    }
    return cid;
  }

  async get(cid: string, options: GetOptions = {}): Promise<Uint8Array> {
    const canonical = parseCid(cid);
    let bytes: Uint8Array;
    try {
      const path = join(this.dir, canonical);
      const size = statSync(path).size;
      if (size > (options.maxBytes ?? DEFAULT_MAX_GET_BYTES)) {
        throw new StorageError("STORAGE_CORRUPT", tooLargeMessage(`the local store (${this.dir})`, canonical, size, options));
      }
      bytes = readFileSync(path);
    } catch (e) {
      if (e instanceof StorageError) throw e;
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        throw new StorageError("STORAGE_NOT_FOUND", `${canonical} is not in the local store (${this.dir})`, { cause: e });
      }
      throw new StorageError("STORAGE_UNREACHABLE", `cannot read ${canonical} from the local store`, { cause: e });
    }
    if ((await cidOf(bytes)) !== canonical) {
      throw new StorageError("STORAGE_CORRUPT", `the local copy of ${canonical} does not hash to its CID: it was changed on disk`);
    }
    return bytes;
  }

  async has(cid: string): Promise<boolean> {
    return existsSync(join(this.dir, parseCid(cid)));
  }
}
