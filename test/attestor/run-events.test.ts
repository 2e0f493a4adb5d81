// The run-event protocol between the attestor service and its client (core/attestor/run-events.ts): every
// event the client receives is checked against it, and one it does not describe ends the run's wait with one
// line instead of reaching the CLI's output. The service's side is exercised by every run in service.test.ts
// and e2e.test.ts, whose client checks each event it streams.
import { expect } from "chai";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AttestorClient } from "../../core/attestor/client.ts";
import { parseRunEvent } from "../../core/attestor/run-events.ts";
import type { RunEvent } from "../../core/attestor/run-events.ts";

const TIMINGS = { measureMs: 1, tpmBeforeMs: 2, sandboxMs: 3, commandMs: 4, outputMs: 5, tpmAfterMs: 6, overheadMs: 7 };
const DIGEST = `0x${"ab".repeat(32)}`;
const TX = `0x${"cd".repeat(32)}`;
const RUN_ID = "0b5d6a5e-6a43-4e1f-9a57-2f1c1b0f4a11";

/** One of each event, as the service sends them. */
const WELL_FORMED: RunEvent[] = [
  { type: "queued", id: RUN_ID, position: 0 },
  { type: "state", state: "measuring" },
  { type: "stage", stage: "measuring", dataset: "1" },
  { type: "stage", stage: "running", argv: ["node", "train.ts"] },
  { type: "output", stream: "stdout", data: "epoch 1\n" },
  { type: "state", state: "certifying", certificateDigest: DIGEST, certificateCid: "bafkreiabcdefghij", timings: TIMINGS },
  { type: "certificate", certificateDigest: DIGEST, certificateCid: "bafkreiabcdefghij", timings: TIMINGS },
  { type: "state", state: "registered", modelId: "7", txHash: TX, gasUsed: "412345" },
  { type: "registered", modelId: "7", txHash: TX, gasUsed: "412345" },
  { type: "state", state: "failed", errorCode: "RUN_FAILED", errorMessage: "the training command exited with code 3" },
  { type: "done", state: "failed", error: { code: "RUN_FAILED", message: "exited with code 3" }, ms: 1200 },
  { type: "done", state: "registered", ms: 9000 },
];

/** A service that answers every run with these NDJSON lines. */
async function serviceSending(lines: string[]): Promise<{ client: AttestorClient; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(202, { "content-type": "application/x-ndjson" });
    res.end(lines.map((l) => `${l}\n`).join(""));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return { client: new AttestorClient({ url: `http://127.0.0.1:${port}`, token: "t".repeat(32) }), server };
}

describe("the attestor's run-event protocol", function () {
  it("reads back every event the service sends, as sent", function () {
    for (const e of WELL_FORMED) expect(parseRunEvent(JSON.parse(JSON.stringify(e)))).to.deep.equal(e);
  });

  it("refuses an event it does not describe, naming what is wrong, in one line", function () {
    const refused: [unknown, RegExp][] = [
      [null, /not an object/],
      [{ type: "celebrate" }, /type "celebrate" is not one of/],
      [{ type: "queued", id: RUN_ID }, /lacks "position"/],
      [{ type: "queued", id: RUN_ID, position: 0, extra: 1 }, /unknown field "extra"/],
      [{ type: "state", state: "victorious" }, /"state" is not one of/],
      [{ type: "stage", stage: "running", argv: "rm -rf /" }, /"argv" is not a list of strings/],
      [{ type: "output", stream: "stdout", data: 42 }, /"data" is not a string/],
      [{ type: "registered", modelId: "0x1", txHash: TX, gasUsed: "1" }, /"modelId" is not of the right form/],
      [{ type: "registered", modelId: "7", txHash: "0x12", gasUsed: "1" }, /"txHash" is not of the right form/],
      [{ type: "certificate", certificateDigest: DIGEST, certificateCid: "bafkreiabcdefghij", timings: { ...TIMINGS, commandMs: "4" } }, /timings.commandMs/],
      [{ type: "done", state: "running", ms: 1 }, /"state" is not one of registered, certified, failed, interrupted/],
      [{ type: "done", state: "failed", error: { code: "X" }, ms: 1 }, /lacks "message"/],
      [{ type: "done", state: "registered", ms: -1 }, /"ms" is not a whole number/],
    ];
    for (const [value, why] of refused) {
      let error: unknown;
      try {
        parseRunEvent(value);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(value)).to.be.an("error");
      expect(error).to.include({ code: "FORMAT_UNSUPPORTED" });
      expect((error as Error).message)
        .to.match(why)
        .and.not.include("\n");
    }
  });

  it("ends the wait on a forged registration instead of handing it on: a model id that is not a token id never reaches the result", async function () {
    const { client, server } = await serviceSending([
      JSON.stringify({ type: "queued", id: RUN_ID, position: 0 }),
      JSON.stringify({ type: "registered", modelId: "7 (and #8, #9)", txHash: TX, gasUsed: "1" }),
      JSON.stringify({ type: "done", state: "registered", ms: 1 }),
    ]);
    const seen: string[] = [];
    try {
      const outcome = await client
        .train({}, (e) => seen.push(e.type))
        .then(
          (done) => ({ done }),
          (error: unknown) => ({ error }),
        );
      expect(outcome, "the forged event was handed on").to.have.property("error");
      expect((outcome as { error: unknown }).error).to.include({ code: "FORMAT_UNSUPPORTED" });
      expect(seen).to.deep.equal(["queued"]);
    } finally {
      server.close();
    }
  });

  it("ends the wait on a line that is not JSON, and names a run whose stream ended before it did", async function () {
    const garbled = await serviceSending([JSON.stringify({ type: "queued", id: RUN_ID, position: 2 }), "{not json"]);
    const cut = await serviceSending([JSON.stringify({ type: "queued", id: RUN_ID, position: 0 }), JSON.stringify({ type: "state", state: "measuring" })]);
    try {
      const a = await garbled.client.train({}).catch((e: unknown) => e);
      expect(a).to.include({ code: "FORMAT_UNSUPPORTED" });
      const b = await cut.client.train({}).catch((e: unknown) => e);
      expect(b).to.include({ code: "RUN_INTERRUPTED" });
      expect((b as Error).message).to.contain(`GET /v1/runs/${RUN_ID}`);
    } finally {
      garbled.server.close();
      cut.server.close();
    }
  });
});
