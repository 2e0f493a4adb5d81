import type { Filter, Log } from "ethers";
import { ChainError, InputError } from "../errors.ts";

/**
 * eth_getLogs in pages of blocks. Filecoin's nodes refuse wide ranges: Lotus answers at most
 * `Events.MaxFilterHeightRange` epochs per call (default 2880, "a conservative limit of one day",
 * node/config/def.go) and at most `MaxFilterResults` (10,000) events, and public endpoints may cap lower. Readers
 * therefore page by NetworkConfig.logPageBlocks, always with explicit numeric bounds (Lotus measures an open
 * "latest" bound from the head), and halve a page the node refuses as too wide or too full, down to one block.
 */
export interface LogSource {
  getLogs(filter: Filter): Promise<Log[]>;
  getBlockNumber(): Promise<number>;
}

export interface LogQuery {
  address?: string | string[];
  topics?: Array<string | string[] | null>;
}

/** Lotus: "invalid epoch range..." / "filter matches too many events..."; Forest: -32005 BlockRangeExceeded; hosted RPCs: "block range", "more than N results". */
export function isRangeRefusal(e: unknown): boolean {
  const err = e as { code?: unknown; error?: { code?: unknown; message?: unknown }; message?: unknown; shortMessage?: unknown };
  const codes = [err?.code, err?.error?.code];
  if (codes.includes(-32005)) return true;
  const text = [err?.message, err?.shortMessage, err?.error?.message].filter((m) => typeof m === "string").join(" ");
  return /invalid epoch range|block range|range (is )?too (large|wide|big)|exceed|too many (events|results|logs|blocks)|more than \d+ results|max(imum)? (block )?range/i.test(
    text,
  );
}

export interface PageInfo {
  fromBlock: number;
  toBlock: number;
  logs: number;
}

export interface PagedLogsOptions {
  fromBlock: number;
  /** Inclusive; the current head when omitted (read once, so the scan has a fixed end). */
  toBlock?: number;
  pageBlocks: number;
  onPage?: (page: PageInfo) => void;
}

/** One eth_getLogs; a refusal as too wide or too full is returned as "refused", anything else thrown. */
async function fetchRange(source: LogSource, query: LogQuery, from: number, to: number): Promise<Log[] | "refused"> {
  try {
    return await source.getLogs({ ...query, fromBlock: from, toBlock: to });
  } catch (e) {
    if (isRangeRefusal(e)) {
      if (from === to) throw new ChainError("CHAIN_UNREACHABLE", `the node refuses to return the events of block ${from} alone`, { cause: e });
      return "refused";
    }
    const first = String((e as { shortMessage?: string; message?: string }).shortMessage ?? (e as Error).message ?? e).split("\n")[0];
    throw new ChainError("CHAIN_UNREACHABLE", `reading events in blocks ${from}-${to} failed: ${first}`, { cause: e });
  }
}

function checkPageBlocks(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new InputError("INPUT_INVALID", `page size ${n} is not a block count`);
}

/**
 * All matching logs from `fromBlock` to `toBlock`, oldest first. A refused page is halved and the smaller size
 * kept for the pages after it.
 */
export async function getLogsPaged(source: LogSource, query: LogQuery, options: PagedLogsOptions): Promise<Log[]> {
  checkPageBlocks(options.pageBlocks);
  const toBlock = options.toBlock ?? (await source.getBlockNumber());
  const logs: Log[] = [];
  let size = options.pageBlocks;
  for (let from = Math.max(0, options.fromBlock); from <= toBlock;) {
    const to = Math.min(toBlock, from + size - 1);
    const page = await fetchRange(source, query, from, to);
    if (page === "refused") {
      size = Math.max(1, Math.floor((to - from + 1) / 2));
      continue;
    }
    options.onPage?.({ fromBlock: from, toBlock: to, logs: page.length });
    logs.push(...page);
    from = to + 1;
  }
  return logs;
}

export interface BackwardScan {
  /** Newest first. */
  logs: Log[];
  /** The lowest block scanned: a next, older call continues below it. */
  scannedFrom: number;
  /** The scan reached `floor` (or `done` said so): nothing older is needed. */
  exhausted: boolean;
}

/**
 * Newest-first scanning for lists ("the latest datasets"): pages from `toBlock` down to `floor` (e.g. the
 * contract's deployment block) until `want` logs are collected, `done` says stop, or `maxPages` pages were read.
 */
export async function scanLogsBackward(
  source: LogSource,
  query: LogQuery,
  options: { toBlock: number; floor: number; pageBlocks: number; want: number; maxPages?: number; done?: (logs: Log[]) => boolean; onPage?: (p: PageInfo) => void },
): Promise<BackwardScan> {
  checkPageBlocks(options.pageBlocks);
  const logs: Log[] = [];
  let to = options.toBlock;
  let size = options.pageBlocks;
  let pages = 0;
  let stop = false;
  while (to >= options.floor && pages < (options.maxPages ?? 50) && !stop) {
    const from = Math.max(options.floor, to - size + 1);
    const page = await fetchRange(source, query, from, to);
    if (page === "refused") {
      size = Math.max(1, Math.floor((to - from + 1) / 2));
      continue;
    }
    options.onPage?.({ fromBlock: from, toBlock: to, logs: page.length });
    pages++;
    logs.push(...page.sort((a, b) => b.blockNumber - a.blockNumber || b.index - a.index));
    to = from - 1;
    stop = logs.length >= options.want || (options.done?.(logs) ?? false);
  }
  return { logs, scannedFrom: to + 1, exhausted: to < options.floor || (options.done?.(logs) ?? false) };
}

/** getLogsPaged with the page size of the connection's network (NetworkConfig.logPageBlocks). */
export function readLogs(
  conn: { provider: LogSource; network: { logPageBlocks: number } },
  query: LogQuery,
  range: { fromBlock: number; toBlock?: number; onPage?: (p: PageInfo) => void },
): Promise<Log[]> {
  return getLogsPaged(conn.provider, query, { ...range, pageBlocks: conn.network.logPageBlocks });
}
