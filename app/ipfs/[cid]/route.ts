import { parseCid } from "../../../core/storage/cid.ts";
import { appConfig } from "../../_lib/server/config.ts";

/**
 * The configured IPFS gateway under the app's own origin, so the browser needs no CORS and no second host.
 * Bytes pass through unchanged; the browser checks every object against its CID (core/storage/gateway-client.ts).
 */
export const dynamic = "force-dynamic";

async function pass(method: "GET" | "HEAD", params: Promise<{ cid: string }>): Promise<Response> {
  let cid: string;
  try {
    cid = parseCid((await params).cid);
  } catch {
    return new Response("not a CID\n", { status: 400, headers: { "content-type": "text/plain" } });
  }
  const { gatewayUrl } = appConfig();
  let upstream: Response;
  try {
    upstream = await fetch(`${gatewayUrl}/ipfs/${cid}`, { method, signal: AbortSignal.timeout(30_000), cache: "no-store" });
  } catch {
    return new Response(`the storage gateway at ${gatewayUrl} does not answer\n`, {
      status: 502,
      headers: { "content-type": "text/plain", "x-provenant-upstream": "unreachable" },
    });
  }
  const headers = new Headers();
  for (const h of ["content-type", "content-length", "etag"]) {
    const v = upstream.headers.get(h);
    if (v) headers.set(h, v);
  }
  if (upstream.ok) headers.set("cache-control", "public, max-age=31536000, immutable");
  return new Response(method === "HEAD" ? null : upstream.body, { status: upstream.status, headers });
}

export async function GET(_req: Request, ctx: { params: Promise<{ cid: string }> }) {
  return pass("GET", ctx.params);
}

export async function HEAD(_req: Request, ctx: { params: Promise<{ cid: string }> }) {
  return pass("HEAD", ctx.params);
}
