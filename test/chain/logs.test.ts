import { expect } from "chai";
import type { Filter, Log } from "ethers";
import { getLogsPaged, isRangeRefusal, readLogs, scanLogsBackward, type LogSource } from "../../core/chain/logs.ts";
import { networkConfig } from "../../core/chain/networks.ts";
import { isProvenantError } from "../../core/errors.ts";

/**
 * A node that behaves like a default Lotus node: one log per 100 blocks up to `head`, ranges wider than
 * `maxRange` epochs refused with Lotus's own error text, an open "latest" bound measured from the head.
 */
function lotusLike(head: number, maxRange = 2880) {
  const calls: Array<[number, number]> = [];
  const source: LogSource = {
    async getBlockNumber() {
      return head;
    },
    async getLogs(filter: Filter) {
      if (typeof filter.fromBlock !== "number" || typeof filter.toBlock !== "number") throw new Error("the reader must send numeric bounds");
      const [from, to] = [filter.fromBlock, filter.toBlock];
      calls.push([from, to]);
      if (to - from > maxRange) {
        throw Object.assign(new Error("could not coalesce error"), {
          error: { code: 1, message: `invalid epoch range: to block is too far from from block (maximum: ${maxRange})` },
        });
      }
      const logs: Log[] = [];
      for (let b = Math.ceil(from / 100) * 100; b <= to; b += 100) logs.push({ blockNumber: b, index: 0 } as Log);
      return logs;
    },
  };
  return { source, calls };
}

describe("paged eth_getLogs (FEVM answers at most 2880 epochs per call)", () => {
  it("reads a range in pages of logPageBlocks with numeric bounds, oldest first, missing nothing", async () => {
    const { source, calls } = lotusLike(10_499);
    const logs = await getLogsPaged(source, { address: "0x0000000000000000000000000000000000000001" }, { fromBlock: 0, pageBlocks: 2_000 });
    expect(calls).to.deep.equal([
      [0, 1999],
      [2000, 3999],
      [4000, 5999],
      [6000, 7999],
      [8000, 9999],
      [10000, 10499],
    ]);
    expect(logs.map((l) => l.blockNumber)).to.deep.equal(Array.from({ length: 105 }, (_, i) => i * 100));
  });

  it("halves a page the node refuses as too wide and keeps the smaller size", async () => {
    const { source, calls } = lotusLike(20_000);
    const logs = await getLogsPaged(source, {}, { fromBlock: 0, toBlock: 20_000, pageBlocks: 10_000 });
    expect(logs).to.have.length(201);
    const accepted = calls.filter(([f, t]) => t - f <= 2880);
    expect(calls.length - accepted.length, "refusals before the size settles").to.equal(2);
    expect(accepted.every(([f, t]) => t - f + 1 <= 2500)).to.equal(true);
  });

  it("uses the network's logPageBlocks: 2000 on Filecoin Calibration", async () => {
    const saved = process.env.FILECOIN_CALIBRATION_RPC_URL;
    process.env.FILECOIN_CALIBRATION_RPC_URL = "http://127.0.0.1:1";
    const network = networkConfig("filecoinCalibration");
    if (saved === undefined) delete process.env.FILECOIN_CALIBRATION_RPC_URL;
    else process.env.FILECOIN_CALIBRATION_RPC_URL = saved;
    expect(network.logPageBlocks).to.equal(2000);
    const { source, calls } = lotusLike(5_000);
    await readLogs({ provider: source, network }, {}, { fromBlock: 1_000 });
    expect(calls).to.deep.equal([
      [1000, 2999],
      [3000, 4999],
      [5000, 5000],
    ]);
  });

  it("reports other failures as one line, without halving", async () => {
    let calls = 0;
    const source: LogSource = {
      getBlockNumber: async () => 100,
      getLogs: async () => {
        calls++;
        throw new Error("connect ECONNREFUSED 127.0.0.1:1234\n    at somewhere");
      },
    };
    try {
      await getLogsPaged(source, {}, { fromBlock: 0, pageBlocks: 50 });
      expect.fail("expected a rejection");
    } catch (e) {
      expect(isProvenantError(e) && e.code).to.equal("CHAIN_UNREACHABLE");
      expect((e as Error).message).to.equal("reading events in blocks 0-49 failed: connect ECONNREFUSED 127.0.0.1:1234");
    }
    expect(calls).to.equal(1);
  });

  it("gives up when even one block is refused", async () => {
    const { source } = lotusLike(10, -1);
    try {
      await getLogsPaged(source, {}, { fromBlock: 0, pageBlocks: 8 });
      expect.fail("expected a rejection");
    } catch (e) {
      expect((e as Error).message).to.equal("the node refuses to return the events of block 0 alone");
    }
  });

  it("scans backward from the head to a floor, newest first, stopping once enough logs are in", async () => {
    const { source, calls } = lotusLike(9_999);
    const some = await scanLogsBackward(source, {}, { toBlock: 9_999, floor: 1_000, pageBlocks: 2_000, want: 25 });
    expect(some.logs.map((l) => l.blockNumber).slice(0, 3)).to.deep.equal([9900, 9800, 9700]);
    expect(some.logs).to.have.length(40);
    expect(some).to.include({ scannedFrom: 6000, exhausted: false });
    expect(calls).to.deep.equal([
      [8000, 9999],
      [6000, 7999],
    ]);
    const all = await scanLogsBackward(source, {}, { toBlock: 9_999, floor: 1_000, pageBlocks: 2_000, want: 1_000 });
    expect(all).to.include({ scannedFrom: 1000, exhausted: true });
    expect(all.logs.at(-1)!.blockNumber).to.equal(1000);
  });

  it("recognises the range refusals of Lotus, Forest and hosted RPCs, and nothing else", () => {
    expect(isRangeRefusal({ error: { code: 1, message: "invalid epoch range: to block is too far in the future (maximum: 2880)" } })).to.equal(true);
    expect(isRangeRefusal({ code: -32005, message: "BlockRangeExceeded" })).to.equal(true);
    expect(isRangeRefusal(new Error("query exceeds max block range 10000"))).to.equal(true);
    expect(isRangeRefusal({ error: { message: "filter matches too many events, try a more restricted filter" } })).to.equal(true);
    expect(isRangeRefusal(new Error("query returned more than 10000 results"))).to.equal(true);
    expect(isRangeRefusal(new Error("connect ECONNREFUSED"))).to.equal(false);
    expect(isRangeRefusal(new Error("execution reverted"))).to.equal(false);
  });
});
