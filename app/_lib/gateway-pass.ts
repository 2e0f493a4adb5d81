import { parseCid } from "../../core/storage/cid.ts";

/**
 * The app's /ipfs/<cid> route (app/ipfs/[cid]/route.ts): the configured IPFS gateway under the app's own origin,
 * so the browser needs no CORS and no second host. Bytes pass through unchanged; the browser checks every object
 * against its CID (core/storage/gateway-client.ts). What the upstream gateway says about an object it refuses (x-provenant-error:
 * its copy fails its CID) passes through too, and x-provenant-source names the upstream, so a reader can say
 * "the bytes failed their CID, from that gateway" instead of "storage unreachable".
 */
export async function passThrough(method: "GET" | "HEAD", rawCid: string, gatewayUrl: string): Promise<Response> {
  let cid: string;
  try {
    cid = parseCid(rawCid);
  } catch {
    return new Response("not a CID\n", { status: 400, headers: { "content-type": "text/plain" } });
  }
  const source = `the storage gateway at ${gatewayUrl}`;
  let upstream: Response;
  try {
    upstream = await fetch(`${gatewayUrl}/ipfs/${cid}`, { method, signal: AbortSignal.timeout(30_000), cache: "no-store" });
  } catch {
    return new Response(`${source} does not answer\n`, {
      status: 502,
      headers: { "content-type": "text/plain", "x-provenant-upstream": "unreachable", "x-provenant-source": source },
    });
  }
  const headers = new Headers();
  for (const h of ["content-type", "content-length", "etag", "x-provenant-error"]) {
    const v = upstream.headers.get(h);
    if (v) headers.set(h, v);
  }
  headers.set("x-provenant-source", source);
  if (upstream.ok) headers.set("cache-control", "public, max-age=31536000, immutable");
  return new Response(method === "HEAD" ? null : upstream.body, { status: upstream.status, headers });
}
