/**
 * Rows of a Parquet row group in the canonical form of the `parquet` encoding (docs/formats/encodings-v2.md),
 * one at a time. hyparquet reads the footer and decodes pages (decompression, levels, plain, dictionary, delta,
 * byte-stream-split); this module walks each column chunk page by page and assembles rows from the definition and
 * repetition levels itself, writing canonical JSON straight from the physical values. Memory is a read window
 * and one decoded page per column, however large the row group. Browser-safe: bytes come through a ByteSource.
 */
import type { ColumnChunk, ColumnMetaData, Compressors, FileMetaData, PageHeader } from "hyparquet";
import { parquetMetadata } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { parquetHeader } from "hyparquet/src/column.js";
import { decompressPage, readDataPage, readDataPageV2 } from "hyparquet/src/datapage.js";
import { readPlain } from "hyparquet/src/plain.js";
import { FormatError, InputError } from "../../errors.ts";
import { ByteWriter, InvalidUtf8Error } from "./canonical-json.ts";
import { columnName, rowSchema, ValueError, type LeafNode, type ListNode, type RowSchema, type SchemaNode, type StructNode } from "./parquet-schema.ts";

/** Random access to a file's bytes: node's file descriptor, or a browser File. */
export interface ByteSource {
  /** How messages name the file. */
  name: string;
  size: number;
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array>;
}

const MAGIC = 0x31524150; // "PAR1", little-endian
const WINDOW = 1 << 20;

const damaged = (where: string, why: string) => new InputError("INPUT_INVALID", `${where}: ${why}`);

/**
 * The footer's length from a file's first 4 and last 8 bytes; a file without the Parquet magic at both ends is
 * refused as truncated or not Parquet.
 */
export function footerLength(name: string, size: number, head: Uint8Array, tail: Uint8Array): number {
  if (size < 12) throw damaged(name, `is ${size} bytes: not a Parquet file`);
  const view = new DataView(tail.buffer, tail.byteOffset, 8);
  if (view.getUint32(4, true) !== MAGIC) {
    throw damaged(name, `does not end with the Parquet magic PAR1 at byte ${size - 4}: truncated, or not a Parquet file`);
  }
  if (new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true) !== MAGIC) {
    throw damaged(name, "does not start with the Parquet magic PAR1: not a Parquet file");
  }
  const length = view.getUint32(0, true);
  if (length > size - 12) throw damaged(name, `claims a ${length}-byte footer in a ${size}-byte file: truncated or damaged`);
  return length;
}

/** Parses the footer (its bytes and the 8 after them) and checks every column chunk lies inside the data. */
export function parseFooter(name: string, size: number, footer: Uint8Array): FileMetaData {
  const start = size - footer.length;
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(footer, { geoparquet: false });
  } catch (e) {
    throw damaged(name, `the footer at byte ${start} is damaged (${(e as Error).message})`);
  }
  metadata.row_groups.forEach((rg, g) => {
    for (const c of rg.columns) {
      const m = c.meta_data;
      if (!m)
        throw new FormatError("FORMAT_UNSUPPORTED", `${name}: row group ${g} keeps a column in another file or encrypted, which the parquet encoding does not read`);
      const { start: from, size: length } = chunkRange(m);
      if (from < 4 || from + length > start) {
        throw damaged(
          name,
          `row group ${g}, column "${m.path_in_schema.join(".")}" claims bytes ${from}-${from + length}, outside the data (4-${start}): truncated or damaged`,
        );
      }
    }
  });
  return metadata;
}

/** A file's metadata from its footer. */
export async function readParquetMetadata(src: ByteSource): Promise<FileMetaData> {
  const head = src.size >= 12 ? await src.read(0, 4) : new Uint8Array(4);
  const tail = src.size >= 12 ? await src.read(src.size - 8, 8) : new Uint8Array(8);
  const length = footerLength(src.name, src.size, head, tail);
  return parseFooter(src.name, src.size, await src.read(src.size - 8 - length, length + 8));
}

/** Where a column chunk's pages are: from its dictionary page (if any) for total_compressed_size bytes. */
function chunkRange(m: ColumnMetaData): { start: number; size: number } {
  const data = Number(m.data_page_offset);
  const dict = m.dictionary_page_offset === undefined ? data : Number(m.dictionary_page_offset);
  // Some writers record a dictionary offset of 0 for "none".
  const start = dict > 0 && dict < data ? dict : data;
  return { start, size: Number(m.total_compressed_size) };
}

/** Reads a column chunk in windows, so small pages cost one read per window and a big page one read of its own. */
class ChunkReader {
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  private readonly src: ByteSource;
  readonly end: number;
  constructor(src: ByteSource, end: number) {
    this.src = src;
    this.end = end;
  }

  async bytes(pos: number, length: number): Promise<Uint8Array> {
    if (pos >= this.bufStart && pos + length <= this.bufStart + this.buf.length) {
      return this.buf.subarray(pos - this.bufStart, pos - this.bufStart + length);
    }
    const want = Math.min(this.end - pos, Math.max(length, WINDOW));
    const got = await this.src.read(pos, want);
    if (got.length < length) throw new RangeError(`read ${got.length} of ${length} bytes`);
    this.buf = got;
    this.bufStart = pos;
    return got.subarray(0, length);
  }
}

interface Page {
  defs: ArrayLike<number> | null;
  reps: ArrayLike<number> | null;
  values: ArrayLike<unknown>;
  dictionary: ArrayLike<unknown> | null;
  n: number;
}

/** One leaf's (definition, repetition, value) triples across its pages, loaded a page at a time. */
class LeafCursor {
  private readonly pages: Page[] = [];
  private p: Page | null = null;
  private i = 0;
  private vi = 0;
  private pos: number;
  private dictionary: ArrayLike<unknown> | null = null;
  private readonly reader: ChunkReader;
  private valuesSeen = 0;
  private readonly expectValues: number;
  exhausted = false;
  /** Triples with repetition level 0 (row starts) from the current one on, in loaded pages. */
  rowStarts = 0;

  readonly leaf: LeafNode;
  private readonly meta: ColumnMetaData;
  private readonly compressors: Compressors | undefined;
  private readonly where: string;

  constructor(src: ByteSource, leaf: LeafNode, meta: ColumnMetaData, compressors: Compressors | undefined, where: string) {
    this.leaf = leaf;
    this.meta = meta;
    this.compressors = compressors;
    this.where = where;
    const { start, size } = chunkRange(meta);
    this.pos = start;
    this.reader = new ChunkReader(src, start + size);
    this.expectValues = Number(meta.num_values);
  }

  /** Complete rows buffered: a row's last triple is known once the next row starts or the chunk ends. */
  available(): number {
    return this.leaf.maxRep === 0 || this.exhausted ? this.rowStarts : this.rowStarts - 1;
  }

  private fail(at: number, why: string): InputError {
    return damaged(this.where, `column "${columnName(this.leaf.path)}", page at byte ${at}: ${why}`);
  }

  /** Loads the next data page (reading past dictionary and index pages), or marks the chunk exhausted. */
  async load(): Promise<void> {
    while (this.pos < this.reader.end) {
      const at = this.pos;
      let header: PageHeader;
      let headerLength: number;
      try {
        let window = Math.min(this.reader.end - at, 64 << 10);
        for (;;) {
          const bytes = await this.reader.bytes(at, window);
          const r = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
          try {
            header = parquetHeader(r);
            headerLength = r.offset;
            break;
          } catch (e) {
            // A header longer than the window (large statistics): widen it, up to the chunk's end.
            if (!(e instanceof RangeError) || window >= this.reader.end - at) throw e;
            window = Math.min(this.reader.end - at, window * 4);
          }
        }
      } catch (e) {
        throw this.fail(at, `the page header is damaged or truncated (${(e as Error).message})`);
      }
      const size = header.compressed_page_size;
      if (!Number.isSafeInteger(size) || size < 0 || at + headerLength + size > this.reader.end) {
        throw this.fail(at, `the page claims ${size} bytes, past the end of its column chunk (byte ${this.reader.end}): truncated or damaged`);
      }
      const body = await this.reader.bytes(at + headerLength, size);
      this.pos = at + headerLength + size;
      let page: Page | null;
      try {
        page = this.decode(header, body);
      } catch (e) {
        if (e instanceof FormatError) throw e;
        throw this.fail(at, `cannot decode the ${header.type} page (${(e as Error).message})`);
      }
      if (page) {
        this.valuesSeen += page.n;
        if (this.valuesSeen > this.expectValues) throw this.fail(at, `the pages hold more values than the column chunk's ${this.expectValues}`);
        let starts = page.n;
        if (page.reps) {
          starts = 0;
          for (let k = 0; k < page.n; k++) if (page.reps[k] === 0) starts++;
        }
        this.rowStarts += starts;
        this.pages.push(page);
        if (!this.p) this.enter();
        return;
      }
    }
    if (this.valuesSeen !== this.expectValues) {
      throw this.fail(this.pos, `the column chunk ends after ${this.valuesSeen} of its ${this.expectValues} values: truncated or damaged`);
    }
    this.exhausted = true;
  }

  private decode(header: PageHeader, body: Uint8Array): Page | null {
    const m = this.meta;
    const decoder = {
      pathInSchema: m.path_in_schema,
      type: m.type,
      element: this.leaf.element,
      schemaPath: this.leaf.schemaPath,
      codec: m.codec,
      compressors: this.compressors,
      parsers: undefined as never,
    };
    if (m.codec !== "UNCOMPRESSED" && m.codec !== "SNAPPY" && !this.compressors?.[m.codec]) {
      throw new FormatError(
        "FORMAT_UNSUPPORTED",
        `${this.where}: column "${columnName(this.leaf.path)}" is compressed with ${m.codec}, which this reader cannot decompress`,
      );
    }
    if (header.type === "DICTIONARY_PAGE") {
      const dph = header.dictionary_page_header!;
      const page = decompressPage(body, header.uncompressed_page_size, m.codec, this.compressors);
      this.dictionary = readPlain(
        { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 },
        m.type,
        dph.num_values,
        this.leaf.element.type_length,
      );
      return null;
    }
    if (header.type === "DATA_PAGE") {
      const daph = header.data_page_header!;
      const page = decompressPage(body, header.uncompressed_page_size, m.codec, this.compressors);
      const { definitionLevels, repetitionLevels, dataPage } = readDataPage(page, daph, decoder);
      return this.page(daph.num_values, definitionLevels, repetitionLevels, dataPage, daph.encoding);
    }
    if (header.type === "DATA_PAGE_V2") {
      const daph = header.data_page_header_v2!;
      const { definitionLevels, repetitionLevels, dataPage } = readDataPageV2(body, header, decoder);
      return this.page(daph.num_values, definitionLevels, repetitionLevels, dataPage, daph.encoding);
    }
    return null; // an index page: nothing to read
  }

  private page(n: number, defs: number[] | undefined, reps: number[], values: ArrayLike<unknown>, encoding: string): Page {
    const dictionary = encoding.endsWith("_DICTIONARY") ? this.dictionary : null;
    if (encoding.endsWith("_DICTIONARY") && !dictionary) throw new RangeError("a dictionary-encoded page without a dictionary page");
    return { defs: defs && defs.length ? defs : null, reps: reps.length ? reps : null, values, dictionary, n };
  }

  private enter(): void {
    this.p = this.pages[0] ?? null;
    this.i = 0;
    this.vi = 0;
  }

  /** Whether a triple is loaded at the cursor. */
  has(): boolean {
    return this.p !== null;
  }
  def(): number {
    const d = this.p!.defs;
    return d ? d[this.i] : this.leaf.maxDef;
  }
  rep(): number {
    const r = this.p!.reps;
    return r ? r[this.i] : 0;
  }
  /** The current triple's value (its definition level must be the leaf's maximum). */
  value(): unknown {
    const p = this.p!;
    const v = p.values[this.vi];
    if (p.dictionary) {
      const d = p.dictionary[v as number];
      if (d === undefined) throw new ValueError(`dictionary index ${String(v)} is past the dictionary's ${p.dictionary.length} entries`);
      return d;
    }
    if (v === undefined) throw new ValueError("the page holds fewer values than its levels say");
    return v;
  }
  next(): void {
    const p = this.p!;
    if (!p.reps || p.reps[this.i] === 0) this.rowStarts--;
    if (!p.defs || p.defs[this.i] === this.leaf.maxDef) this.vi++;
    if (++this.i === p.n) {
      this.pages.shift();
      this.enter();
    }
  }
}

export interface RowGroupReadOptions {
  /** Receives each row: `writer` holds its canonical bytes (or their unflushed tail). */
  onRow: (writer: ByteWriter) => void;
  /** The writer to fill; reset before every row. A flushing writer streams a huge row. */
  writer?: ByteWriter;
  /** Rows of the group to assemble without reporting (to reach one row). */
  skip?: number;
  /** Stop after reporting this many rows. */
  limit?: number;
  /** Decompressors by codec (default: hyparquet-compressors; node passes zlib's). */
  compressors?: Compressors;
}

/**
 * Reads row group `g` of a file and hands every row's canonical bytes to `onRow`, in order. Returns the rows
 * reported. Errors name the file, row group, column, and the page's byte offset or the row.
 */
export async function readRowGroup(src: ByteSource, metadata: FileMetaData, schema: RowSchema, g: number, opts: RowGroupReadOptions): Promise<number> {
  const rg = metadata.row_groups[g];
  const where = `${src.name}: row group ${g}`;
  if (rg.columns.length !== schema.leaves.length) throw damaged(where, `holds ${rg.columns.length} columns, the schema ${schema.leaves.length}`);
  const cursors = schema.leaves.map((leaf, k) => {
    const chunk: ColumnChunk = rg.columns[k];
    const m = chunk.meta_data!;
    if (m.path_in_schema.join("\u0000") !== leaf.path.join("\u0000"))
      throw damaged(where, `column ${k} is "${m.path_in_schema.join(".")}", the schema says "${columnName(leaf.path)}"`);
    return new LeafCursor(src, leaf, m, opts.compressors ?? compressors, where);
  });
  const rows = Number(rg.num_rows);
  const first = rowGroupStart(metadata, g);
  const skip = opts.skip ?? 0;
  const last = Math.min(rows, skip + (opts.limit ?? Infinity));
  const w = opts.writer ?? new ByteWriter();
  const assembler = new Assembler(schema.root, cursors);
  let done = 0;
  while (done < last) {
    let batch = last - done;
    for (const c of cursors) {
      while (c.available() < 1 && !c.exhausted) await c.load();
      if (c.available() < 1) throw damaged(where, `column "${columnName(c.leaf.path)}" ends after ${done} of the group's ${rows} rows: truncated or damaged`);
      batch = Math.min(batch, c.available());
    }
    for (let k = 0; k < batch; k++, done++) {
      w.reset();
      try {
        assembler.row(w);
      } catch (e) {
        if (e instanceof InputError || e instanceof FormatError) throw e;
        const why = e instanceof ValueError || e instanceof InvalidUtf8Error ? e.message : `the levels or values are damaged (${(e as Error).message})`;
        throw damaged(where, `row ${done} (row ${first + done} of the file), column "${assembler.column}": ${why}`);
      }
      if (done >= skip) opts.onRow(w);
    }
  }
  if (last === rows) {
    // Every column must end with the group: a column with rows left over disagrees with the row count.
    for (const c of cursors) {
      while (!c.has() && !c.exhausted) await c.load();
      if (c.has()) throw damaged(where, `column "${columnName(c.leaf.path)}" holds more than the group's ${rows} rows`);
    }
  }
  return last - skip;
}

/** Index of the first row of row group `g` in the file. */
export function rowGroupStart(metadata: FileMetaData, g: number): number {
  let first = 0;
  for (let k = 0; k < g; k++) first += Number(metadata.row_groups[k].num_rows);
  return first;
}

const NULL = new TextEncoder().encode("null");

/** Record assembly (Dremel): walks the row shapes, taking each leaf's triples, and writes the row. */
class Assembler {
  /** The leaf being written, for messages. */
  leaf: LeafNode | null = null;
  get column(): string {
    return this.leaf ? columnName(this.leaf.path) : "";
  }
  private readonly root: StructNode;
  private readonly cursors: LeafCursor[];
  constructor(root: StructNode, cursors: LeafCursor[]) {
    this.root = root;
    this.cursors = cursors;
  }

  row(w: ByteWriter): void {
    for (const c of this.cursors) if (c.rep() !== 0) throw new RangeError("a row does not start at repetition level 0");
    this.node(this.root, w);
  }

  private first(node: SchemaNode): LeafCursor {
    return this.cursors[node.kind === "leaf" ? node.leaf : node.leaves[0].leaf];
  }

  /** Consumes one triple of every leaf under `node`, which is absent (null or empty) below definition level `below`. */
  private skipAbsent(node: StructNode | ListNode, below: number): void {
    for (const l of node.leaves) {
      const c = this.cursors[l.leaf];
      if (c.def() >= below) throw new RangeError(`column "${columnName(l.path)}" is defined where its parent is not`);
      c.next();
    }
  }

  node(node: SchemaNode, w: ByteWriter): void {
    if (node.kind === "leaf") {
      const c = this.cursors[node.leaf];
      this.leaf = node;
      const d = c.def();
      if (d === node.maxDef) node.write(w, c.value());
      else if (node.optional && d === node.maxDef - 1) w.bytes(NULL);
      else throw new RangeError(`definition level ${d} where ${node.maxDef - 1} or ${node.maxDef} was expected`);
      c.next();
      return;
    }
    const c = this.first(node);
    const d = c.def();
    if (node.optional && d < node.def) {
      this.skipAbsent(node, node.def);
      w.bytes(NULL);
      return;
    }
    if (node.kind === "struct") {
      w.byte(0x7b);
      for (const f of node.fields) {
        w.bytes(f.key);
        this.node(f.node, w);
      }
      w.byte(0x7d);
      return;
    }
    if (d < node.emptyDef) {
      this.skipAbsent(node, node.emptyDef);
      w.ascii("[]");
      return;
    }
    w.byte(0x5b);
    for (let k = 0; ; k++) {
      if (k > 0) w.byte(0x2c);
      if (node.kind === "map") {
        w.byte(0x5b);
        this.node(node.children[0], w);
        w.byte(0x2c);
        this.node(node.children[1], w);
        w.byte(0x5d);
      } else this.node(node.children[0], w);
      if (!c.has() || c.rep() !== node.rep) break;
    }
    w.byte(0x5d);
  }
}

/** Opens a file: its metadata and row shapes. */
export async function openParquet(src: ByteSource): Promise<{ metadata: FileMetaData; schema: RowSchema }> {
  const metadata = await readParquetMetadata(src);
  return { metadata, schema: rowSchema(metadata, src.name) };
}
