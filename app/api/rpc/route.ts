import { isDevChain } from "../../../core/chain/networks.ts";
import { appConfig } from "../../_lib/server/config.ts";
import { readCappedBody, refuseOtherSites, requireContentType, RequestRefused } from "../../_lib/server/request-guard.ts";

/**
 * JSON-RPC for the browser, under the app's origin: the reads, view calls and fee queries a wallet flow needs
 * pass through to PROVENANT_RPC_URL (whose URL may carry an API key: it never reaches the browser); event
 * scans stay on the server, which pages them. On a development chain, and only when PROVENANT_NODE_ACCOUNTS=on,
 * the node's own unlocked accounts may also sign, so the local demo mints without a wallet extension.
 *
 * Only the app's own pages may call it (request-guard.ts): a page of another site could otherwise send
 * transactions from those accounts with a text/plain POST, which needs no CORS preflight. So every call must
 * be same-origin, application/json (which needs one, never granted) and at most MAX_RPC_BODY bytes.
 */
export const dynamic = "force-dynamic";

const READ = new Set([
  "eth_chainId",
  "net_version",
  "eth_blockNumber",
  "eth_call",
  "eth_estimateGas",
  "eth_gasPrice",
  "eth_maxPriorityFeePerGas",
  "eth_feeHistory",
  "eth_getBalance",
  "eth_getBlockByNumber",
  "eth_getCode",
  "eth_getTransactionByHash",
  "eth_getTransactionCount",
  "eth_getTransactionReceipt",
]);
const DEV_SIGNING = new Set(["eth_accounts", "eth_sendTransaction"]);
/** 100 calls of a wallet flow fit many times over. */
const MAX_RPC_BODY = 1024 * 1024;

interface RpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

let devChain: { url: string; dev: boolean } | null = null;

async function upstreamIsDevChain(url: string): Promise<boolean> {
  if (devChain?.url === url) return devChain.dev;
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { result?: string };
  const dev = typeof body.result === "string" && isDevChain(Number(BigInt(body.result)));
  devChain = { url, dev };
  return dev;
}

function refusal(req: RpcRequest, message: string) {
  return { jsonrpc: "2.0", id: req.id ?? null, error: { code: -32601, message } };
}

export async function POST(request: Request): Promise<Response> {
  const config = appConfig();
  const { rpcUrl, nodeAccounts } = config;
  let raw: Uint8Array;
  try {
    refuseOtherSites(request, config);
    requireContentType(request, "application/json");
    raw = await readCappedBody(request, MAX_RPC_BODY, "the JSON-RPC request");
  } catch (e) {
    if (!(e instanceof RequestRefused)) throw e;
    return Response.json({ jsonrpc: "2.0", id: null, error: { code: -32600, message: e.message } }, { status: e.status });
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    return Response.json({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } }, { status: 400 });
  }
  const batch = Array.isArray(body);
  const calls = (batch ? body : [body]) as RpcRequest[];
  if (calls.length === 0 || calls.length > 100) {
    return Response.json({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "1 to 100 calls per request" } }, { status: 400 });
  }
  let dev: boolean | null = null;
  const refused = new Map<number, object>();
  const forward: RpcRequest[] = [];
  try {
    for (let i = 0; i < calls.length; i++) {
      const method = calls[i]?.method;
      if (typeof method !== "string") refused.set(i, refusal(calls[i] ?? {}, "method missing"));
      else if (READ.has(method)) forward.push(calls[i]);
      else if (DEV_SIGNING.has(method) && nodeAccounts && (dev ??= await upstreamIsDevChain(rpcUrl))) forward.push(calls[i]);
      else refused.set(i, refusal(calls[i], `${method} is not available through the app (use your wallet)`));
    }
    let answers: unknown[] = [];
    if (forward.length > 0) {
      const res = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(forward),
        signal: AbortSignal.timeout(60_000),
        cache: "no-store",
      });
      const out = await res.json();
      answers = Array.isArray(out) ? out : [out];
    }
    const byId = new Map(answers.map((a) => [JSON.stringify((a as RpcRequest).id), a]));
    const results = calls.map((c, i) => refused.get(i) ?? byId.get(JSON.stringify(c.id)) ?? refusal(c, "no answer"));
    return Response.json(batch ? results : results[0]);
  } catch {
    const message = `the chain at the app's JSON-RPC endpoint does not answer`;
    const results = calls.map((c) => ({ jsonrpc: "2.0", id: c?.id ?? null, error: { code: -32603, message } }));
    return Response.json(batch ? results : results[0], { status: 502 });
  }
}
