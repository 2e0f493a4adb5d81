import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The folder holding package.json, native/ and ignition/: the nearest one above this module, whether it runs from
 * the sources (core/) or from the built CLI (dist/, what the installed `provenant` command runs).
 * A function: bundlers (the dApp's) rewrite module-level URLs.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

/** The sibling module `name` ("./unit-worker") of a module, in the form the running copy has (.ts or built .js). */
export function siblingModule(moduleUrl: string, name: string): string {
  return fileURLToPath(new URL(`${name}${moduleUrl.endsWith(".js") ? ".js" : ".ts"}`, moduleUrl));
}
