import type { ModelRegistryClient } from "../chain/model-registry.ts";
import type { ParentRelation } from "../chain/roles.ts";
import { mintBlockOf, parentLinks, type ParentLink } from "../chain/token-history.ts";
import { drawTree, type TextTreeNode } from "./render.ts";

/**
 * A model's descendants: the models whose parent edges name it, their children, and so on; the other direction
 * of the ancestry walk (walk.ts). Read from the registry's ParentLinked events since the model's registration
 * (a child is always registered after its parents), in one paged scan.
 */
export interface Descendant {
  modelId: bigint;
  /** The descendant's parent on the path from the root (a model with two parents among them appears once, under the first). */
  parentId: bigint;
  relation: ParentRelation;
  /** 1 for a child, 2 for a grandchild... */
  depth: number;
  blockNumber: number;
  txHash: string;
}

/**
 * The descendants of `rootId` in `links`, breadth first (children before grandchildren), each once. Pure: the
 * links may be any superset of the relevant ones.
 */
export function descendantsIn(links: readonly ParentLink[], rootId: bigint): Descendant[] {
  const children = new Map<bigint, ParentLink[]>();
  for (const l of links) children.set(l.parentId, [...(children.get(l.parentId) ?? []), l]);
  const out: Descendant[] = [];
  const seen = new Set<bigint>([rootId]);
  let frontier = [rootId];
  for (let depth = 1; frontier.length > 0; depth++) {
    const next: bigint[] = [];
    for (const parent of frontier) {
      for (const l of children.get(parent) ?? []) {
        if (seen.has(l.childId)) continue;
        seen.add(l.childId);
        next.push(l.childId);
        out.push({ modelId: l.childId, parentId: parent, relation: l.relation, depth, blockNumber: l.blockNumber, txHash: l.txHash });
      }
    }
    frontier = next;
  }
  return out;
}

/** The descendants of model `id`, read from the chain. */
export async function readDescendants(models: ModelRegistryClient, id: bigint, toBlock?: number): Promise<Descendant[]> {
  const fromBlock = await mintBlockOf(models, id);
  return descendantsIn(await parentLinks(models, { fromBlock, toBlock }), id);
}

/** The descendants as a text tree under model `id` (the CLI's `lineage --descendants`). */
export function renderDescendants(id: bigint, descendants: readonly Descendant[], options: { ascii?: boolean } = {}): string {
  const nodes = new Map<bigint, TextTreeNode>([[id, { label: `model #${id}`, children: [] }]]);
  for (const d of descendants) {
    const node: TextTreeNode = { label: `model #${d.modelId} (${d.relation} of #${d.parentId}, block ${d.blockNumber})`, children: [] };
    nodes.set(d.modelId, node);
    nodes.get(d.parentId)!.children.push(node);
  }
  const tree = drawTree(nodes.get(id)!, options.ascii);
  return descendants.length === 0 ? `${tree}\n(no descendants: no registered model names it as a parent)` : tree;
}
