import { expect } from "chai";
import { cliTargetFor, printableRpcUrl } from "../../app/_lib/cli-target.ts";

describe("'re-check it yourself' commands: the chain and deployment as copied, never a key", () => {
  it("names the network for Filecoin chains, and nothing else", () => {
    expect(cliTargetFor({ chainId: 314159, rpcUrl: "https://rpc.example/v1/SECRET", deploymentId: undefined, home: undefined })).to.deep.equal({
      prefix: "",
      flags: " --network filecoinCalibration",
    });
    expect(cliTargetFor({ chainId: 314, rpcUrl: "x", deploymentId: "d", home: "/h" }).flags).to.equal(" --network filecoin");
  });

  it("carries a local chain's RPC URL, deployment id and data directory when they are not the defaults", () => {
    const t = cliTargetFor({ chainId: 31337, rpcUrl: "http://127.0.0.1:9545", deploymentId: "demo-9545", home: "/tmp/demo home" });
    expect(t.prefix).to.equal("PROVENANT_RPC_URL=http://127.0.0.1:9545 PROVENANT_DEPLOYMENT_ID=demo-9545 PROVENANT_HOME='/tmp/demo home' ");
    expect(cliTargetFor({ chainId: 31337, rpcUrl: "http://127.0.0.1:8545", deploymentId: "chain-31337", home: undefined }).prefix).to.equal("");
  });

  it("never prints an RPC URL that can carry a key: user info, a query or a path", () => {
    for (const secret of ["https://user:SECRET@rpc.example", "https://rpc.example/?apikey=SECRET", "https://rpc.example/v2/SECRET", "https://rpc.example#SECRET"]) {
      expect(printableRpcUrl(secret), secret).to.equal(null);
      const t = cliTargetFor({ chainId: 5, rpcUrl: secret, deploymentId: undefined, home: "/home/x" });
      expect(t.prefix, secret).to.not.contain("SECRET");
      expect(t.prefix).to.equal("PROVENANT_RPC_URL='<your RPC URL for chain 5>' ");
    }
    // The data directory goes with a loopback chain only: the CLI then runs where the app does.
    expect(cliTargetFor({ chainId: 31337, rpcUrl: "https://node.example", deploymentId: undefined, home: "/srv/x" }).prefix).to.equal(
      "PROVENANT_RPC_URL=https://node.example ",
    );
  });
});
