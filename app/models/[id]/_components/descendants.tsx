import Link from "next/link";
import type { Descendant } from "../../../../core/lineage/descendants.ts";
import { HistorySection, historyListClass } from "../../../_components/token-history.tsx";

/**
 * The models derived from this one (core/lineage/descendants.ts: the registry's parent links, breadth first),
 * beside the ancestors the lineage graph draws. The registry has no model versions of its own (a new version is
 * a new model with a parent edge), so these edges are a model's history.
 */
export function Descendants({ descendants }: { descendants: Descendant[] }) {
  return (
    <HistorySection title="Descendants" testId="descendants">
      {descendants.length === 0 ? (
        <p className="muted small" style={{ margin: 0 }}>
          None: no registered model names this one as a parent.
        </p>
      ) : (
        <ul className={historyListClass}>
          {descendants.map((d) => (
            <li
              key={String(d.modelId)}
              data-model={String(d.modelId)}
              data-parent={String(d.parentId)}
              data-relation={d.relation}
              data-depth={d.depth}
              style={{ paddingLeft: `${Math.min(d.depth - 1, 4)}rem` }}
            >
              <Link href={`/models/${d.modelId}`}>model #{String(d.modelId)}</Link>, {d.relation} of {d.depth === 1 ? "this model" : `#${d.parentId}`}{" "}
              <span className="muted small">(block {d.blockNumber})</span>
            </li>
          ))}
        </ul>
      )}
    </HistorySection>
  );
}
