import { passThrough } from "../../_lib/gateway-pass.ts";
import { appConfig } from "../../_lib/server/config.ts";

/** The configured IPFS gateway under the app's own origin (app/_lib/gateway-pass.ts says what passes through). */
export const dynamic = "force-dynamic";

export async function GET(_req: Request, ctx: { params: Promise<{ cid: string }> }) {
  return passThrough("GET", (await ctx.params).cid, appConfig().gatewayUrl);
}

export async function HEAD(_req: Request, ctx: { params: Promise<{ cid: string }> }) {
  return passThrough("HEAD", (await ctx.params).cid, appConfig().gatewayUrl);
}
