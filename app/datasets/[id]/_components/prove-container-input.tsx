import { useRef, useState, type DragEvent } from "react";
import type { ContainerEncoding } from "../../../../core/dataset/encoding-table.ts";
import type { TabItem } from "../../../_components/tabs.tsx";
import type { ContainerSource } from "./prove-container-sample.ts";
import styles from "./prove-panel.module.css";

/**
 * The prove panel's inputs for a WebDataset or Parquet dataset, as `provenant prove` takes a sample of one:
 * `files` mode is the key's member files (or a .tar of just that key) for WebDataset, a .parquet file and a row
 * index for Parquet; `text` mode is a row pasted as JSON (Parquet only).
 */
export type ContainerMode = "file" | "text" | "hash";

/** The panel's tabs for a container dataset, and what each says. */
export function containerTabs(encoding: ContainerEncoding): TabItem<ContainerMode>[] {
  return encoding === "webdataset"
    ? [
        { key: "file", label: "Files" },
        { key: "hash", label: "Hash" },
      ]
    : [
        { key: "file", label: "Row of a file" },
        { key: "text", label: "Row as JSON" },
        { key: "hash", label: "Hash" },
      ];
}

export function ProveContainerInput({
  encoding,
  mode,
  busy,
  onSource,
}: {
  encoding: ContainerEncoding;
  mode: "file" | "text";
  busy: boolean;
  onSource: (source: ContainerSource) => void;
}) {
  if (encoding === "webdataset") return <MembersInput busy={busy} onSource={onSource} />;
  return mode === "file" ? <ParquetRowInput busy={busy} onSource={onSource} /> : <RowJsonInput busy={busy} onSource={onSource} />;
}

/** WebDataset: the key's files, dropped or chosen together, or one .tar holding just that key. */
function MembersInput({ busy, onSource }: { busy: boolean; onSource: (s: ContainerSource) => void }) {
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    if (!busy) onSource({ members: Array.from(e.dataTransfer.files) });
  };
  return (
    <div
      className={`${styles.drop} ${dragging ? styles.dropOn : ""}`}
      data-testid="members-dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
      onClick={() => !busy && input.current?.click()}
      role="button"
      tabIndex={0}
      onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && input.current?.click()}
    >
      <div className={styles.dropIcon} aria-hidden>
        ⤓
      </div>
      <div>
        <strong>Drop the sample&apos;s files here</strong> or click to choose them
      </div>
      <div className="muted small">
        A WebDataset sample is every file of one key, together: 000123.jpg and 000123.txt, as in the shard. Or a .tar (.tar.gz) holding just that key.
      </div>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        data-testid="member-files"
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          e.target.value = "";
          if (files.length > 0) onSource({ members: files });
        }}
      />
    </div>
  );
}

/** Parquet: a .parquet file (only the pages of the row's group are read) and the row's index in it. */
function ParquetRowInput({ busy, onSource }: { busy: boolean; onSource: (s: ContainerSource) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [row, setRow] = useState("0");
  return (
    <form
      className={styles.form}
      onSubmit={(e) => {
        e.preventDefault();
        if (file) onSource({ rowOf: file, row });
      }}
    >
      <div className={styles.formRow}>
        <input type="file" accept=".parquet" data-testid="parquet-file" aria-label="Parquet file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        <label className="small">
          Row{" "}
          <input
            type="text"
            inputMode="numeric"
            className="mono"
            value={row}
            onChange={(e) => setRow(e.target.value)}
            size={8}
            data-testid="row-index"
            aria-label="Row index"
          />
        </label>
        <button type="submit" disabled={busy || !file}>
          Prove
        </button>
      </div>
      <span className="muted small">Rows are numbered from 0 across the file&apos;s row groups; the file is read here, only the pages that row lives in.</span>
    </form>
  );
}

/** Parquet: the row pasted as JSON, in encodings-v2's JSON form (members in any order). */
function RowJsonInput({ busy, onSource }: { busy: boolean; onSource: (s: ContainerSource) => void }) {
  const [text, setText] = useState("");
  return (
    <form
      className={styles.form}
      onSubmit={(e) => {
        e.preventDefault();
        onSource({ rowJson: text });
      }}
    >
      <textarea
        rows={3}
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder='{"label": 7, "text": "…"}'
        spellCheck={false}
        className="mono"
        aria-label="Row as JSON"
        data-testid="row-json"
      />
      <div className={styles.formRow}>
        <span className="muted small">
          One column a member; binary as {"{"}&quot;$bytes&quot;: base64{"}"}, as docs/formats/encodings-v2.md writes a row. Member order and spacing do not matter.
        </span>
        <button type="submit" disabled={busy}>
          Prove
        </button>
      </div>
    </form>
  );
}
