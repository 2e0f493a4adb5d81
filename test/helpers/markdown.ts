/**
 * Code blocks read out of the docs, so a test runs what the document shows (and the two cannot drift).
 */

/** The fenced ```<lang> blocks under a heading, up to the next heading of its level or above, in order. */
export function sectionBlocks(markdown: string, heading: string, lang: string): string[] {
  const level = /^#+/.exec(heading)?.[0].length ?? 0;
  const blocks: string[] = [];
  let inSection = false;
  let block: string[] | null = null;
  let fenceLang = "";
  for (const line of markdown.split("\n")) {
    if (block === null && /^```/.test(line)) {
      block = [];
      fenceLang = line.slice(3).trim();
    } else if (block !== null && line === "```") {
      if (inSection && fenceLang === lang) blocks.push(block.join("\n") + "\n");
      block = null;
    } else if (block !== null) {
      block.push(line);
    } else if (/^#+ /.test(line)) {
      // Headings count only outside code blocks: a shell comment is not one.
      if (line === heading) inSection = true;
      else if (inSection && /^#+/.exec(line)![0].length <= level) inSection = false;
    }
  }
  if (blocks.length === 0) throw new Error(`no \`\`\`${lang} block under "${heading}"`);
  return blocks;
}
