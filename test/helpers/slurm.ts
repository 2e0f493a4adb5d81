/**
 * A one-node Slurm cluster on this machine, for tests and the bench: Debian's slurmctld, slurmd and munge
 * (installed by scripts/setup-system.sh slurm when missing), configured for a container (no cgroup plugins:
 * proctrack/pgid, task/none), listening on 127.0.0.1 only on ports of its own, with its munge key, state,
 * spool and logs in a temporary folder that stop() removes.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "./local-chain.ts";

const TOOLS = ["slurmctld", "slurmd", "sbatch", "scancel", "scontrol", "sinfo", "squeue", "munged", "mungekey"];

const missingTools = () => TOOLS.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" }).status !== 0);

let installed = false;

/** Install Slurm and munge from Debian (scripts/setup-system.sh slurm) when a tool is missing. */
export function ensureSlurmInstalled(): void {
  if (installed) return;
  if (missingTools().length > 0) {
    const r = spawnSync("bash", [join(REPO, "scripts", "setup-system.sh"), "slurm"], { stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) throw new Error(`scripts/setup-system.sh slurm failed (exit ${r.status}): install slurm-wlm and munge by hand`);
    const still = missingTools();
    if (still.length > 0) throw new Error(`after scripts/setup-system.sh slurm these are still missing: ${still.join(", ")}`);
  }
  installed = true;
}

/** One task of a job (an array task, or the whole job when it is not an array), from `scontrol show job`. */
export interface SlurmTask {
  jobId: string;
  /** "<array job id>_<task id>" for array tasks, else the job id: what scancel takes. */
  id: string;
  taskId: number | null;
  state: string;
  reason: string;
  exitCode: string;
}

export interface SlurmCluster {
  dir: string;
  node: string;
  cpus: number;
  /** The slurm.conf every daemon and command here reads. */
  conf: string;
  /** Environment for Slurm commands (and the jobs they submit: sbatch exports it): SLURM_CONF. */
  env: Record<string, string>;
  /** Runs a Slurm command against this cluster and returns its stdout; throws with its stderr on failure. */
  run(cmd: string, args: string[], options?: { cwd?: string; env?: Record<string, string> }): string;
  /** `sbatch --parsable ...`: the job id. */
  sbatch(args: string[], options?: { cwd?: string; env?: Record<string, string> }): string;
  tasks(jobId: string): SlurmTask[];
  /** Waits until every task of the job has ended (or `until` holds); throws if it can never start. */
  waitFor(jobId: string, until?: (tasks: SlurmTask[]) => boolean): Promise<SlurmTask[]>;
  stop(): Promise<void>;
}

const ENDED = new Set(["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE", "SPECIAL_EXIT"]);
export const taskEnded = (t: SlurmTask) => ENDED.has(t.state);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Longer than any job here takes on a loaded 2-core machine. */
const WAIT_LIMIT_MS = 240_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Daemons started by every cluster of this process: killed on exit if a test ended without stop(). */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of running) c.kill("SIGKILL");
});

/** Starts munged, slurmctld and slurmd and waits until sinfo shows the node idle. */
export async function startSlurmCluster(): Promise<SlurmCluster> {
  ensureSlurmInstalled();
  if (process.getuid?.() !== 0) throw new Error("the Slurm cluster needs root: slurmd starts jobs as the user who submitted them");
  const dir = mkdtempSync(join(tmpdir(), "provenant-slurm-"));
  // munged refuses a socket in a folder that not everyone may enter (mkdtemp makes it 0700).
  chmodSync(dir, 0o755);
  const conf = join(dir, "slurm.conf");
  const socket = join(dir, "munge.sock");
  const host = hostname().split(".")[0];
  const daemons: Array<{ name: string; child: ChildProcess; log: string }> = [];
  const env = { SLURM_CONF: conf };

  const start = (name: string, cmd: string, args: string[]) => {
    const log = join(dir, `${name}.log`);
    const fd = openSync(log, "a");
    const child = spawn(cmd, args, { stdio: ["ignore", fd, fd], env: { ...process.env, ...env } });
    closeSync(fd);
    running.add(child);
    child.once("exit", () => running.delete(child));
    daemons.push({ name, child, log });
  };
  const exited = () => daemons.find((d) => d.child.exitCode !== null || d.child.signalCode !== null);
  const fail = async (what: string, d = exited()): Promise<never> => {
    const log = d
      ? `${d.name} exited (${d.child.exitCode ?? d.child.signalCode}); last lines of ${d.log}:\n${tail(d.log)}`
      : `last lines of the logs:\n${daemons.map((x) => `${x.name}:\n${tail(x.log, 8)}`).join("\n")}`;
    await stopDaemons(daemons);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`the Slurm test cluster did not start: ${what}; ${log}`);
  };
  const until = async (what: string, ready: () => boolean, seconds = 60) => {
    for (let waited = 0; !ready(); waited += 100) {
      if (exited()) await fail(what);
      if (waited > seconds * 1000) await fail(`${what} (not within ${seconds} s)`, undefined);
      await sleep(100);
    }
  };

  // munge: a key of our own, and a daemon on our own socket (Slurm finds it through AuthInfo).
  execFileSync("mungekey", ["--create", `--keyfile=${join(dir, "munge.key")}`], { stdio: "ignore" });
  start("munged", "munged", [
    "--foreground",
    `--socket=${socket}`,
    `--key-file=${join(dir, "munge.key")}`,
    `--pid-file=${join(dir, "munged.pid")}`,
    `--seed-file=${join(dir, "munged.seed")}`,
  ]);
  await until("munged did not open its socket", () => spawnSync("munge", ["-n", "-S", socket], { stdio: "ignore" }).status === 0);

  // The node as slurmd sees this machine (CPUs, sockets, cores, memory), so the partition offers what exists.
  const detected = execFileSync("slurmd", ["-C"], { encoding: "utf8" }).split("\n")[0];
  const cpus = Number(/\bCPUs=(\d+)/.exec(detected)?.[1] ?? 1);
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  writeFileSync(
    conf,
    [
      "ClusterName=provenant-test",
      // slurmctld runs only on the host SlurmctldHost names (its short hostname); the address in brackets is how
      // everyone reaches it, and with NoCtldInAddrAny/NoInAddrAny the daemons listen on that address alone.
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      "CommunicationParameters=NoCtldInAddrAny,NoInAddrAny",
      "SlurmUser=root",
      "SlurmdUser=root",
      "AuthType=auth/munge",
      "CredType=cred/munge",
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${join(dir, "state")}`,
      `SlurmdSpoolDir=${join(dir, "spool")}`,
      `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
      `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
      // A container: no cgroup plugins, tasks are not bound to CPUs. Processes are tracked by process group, not by
      // parent (proctrack/linuxproc): on scancel, `npx` outlived the job script, was re-parented to init and its
      // child kept hashing; the whole process group is signalled here.
      "ProctrackType=proctrack/pgid",
      "TaskPlugin=task/none",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "JobCompType=jobcomp/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_CPU",
      "SchedulerType=sched/backfill",
      // Start pending jobs (array tasks waiting for a CPU, dependent jobs) within a second, not a minute.
      "SchedulerParameters=sched_interval=1,bf_interval=1",
      "MpiDefault=none",
      "ReturnToService=2",
      // Finished jobs stay visible to scontrol for an hour (there is no accounting database to ask).
      "MinJobAge=3600",
      "KillWait=5",
      "MailProg=/bin/true",
      `${detected.replace(/\s+$/, "")} NodeAddr=127.0.0.1 State=UNKNOWN`,
      "PartitionName=provenant Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
      "",
    ].join("\n"),
  );
  const node = /^NodeName=(\S+)/.exec(detected)?.[1] ?? host;
  start("slurmctld", "slurmctld", ["-D", "-f", conf]);
  start("slurmd", "slurmd", ["-D", "-f", conf, "-N", node]);
  const state = () => spawnSync("sinfo", ["-h", "-N", "-n", node, "-o", "%t"], { encoding: "utf8", env: { ...process.env, ...env } }).stdout?.trim();
  await until(`node ${node} did not become idle (sinfo says "${state() ?? ""}")`, () => state() === "idle");

  const run = (cmd: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) => {
    const r = spawnSync(cmd, args, { cwd: options.cwd, encoding: "utf8", env: { ...process.env, ...options.env, ...env } });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
    return r.stdout;
  };
  const tasks = (jobId: string): SlurmTask[] =>
    run("scontrol", ["show", "job", "-o", jobId])
      .split("\n")
      .filter((l) => l.startsWith("JobId="))
      .map((l) => {
        const field = (k: string) => new RegExp(`(?:^| )${k}=(\\S*)`).exec(l)?.[1] ?? "";
        const taskId = field("ArrayTaskId");
        const single = /^\d+$/.test(taskId);
        return {
          jobId: field("JobId"),
          id: single ? `${field("ArrayJobId")}_${taskId}` : field("JobId"),
          taskId: single ? Number(taskId) : null,
          state: field("JobState"),
          reason: field("Reason"),
          exitCode: field("ExitCode"),
        };
      });
  let stopped = false;
  return {
    dir,
    node,
    cpus,
    conf,
    env,
    run,
    sbatch: (args, options) =>
      run("sbatch", ["--parsable", ...args], options)
        .trim()
        .split(";")[0],
    tasks,
    async waitFor(jobId, until = (ts) => ts.every(taskEnded)) {
      // Bounded, so a condition that never comes fails naming the job's state instead of at mocha's timeout.
      for (const deadline = Date.now() + WAIT_LIMIT_MS; ;) {
        if (Date.now() > deadline) {
          const states = tasks(jobId)
            .map((t) => `${t.id} ${t.state} ${t.reason}`)
            .join(", ");
          throw new Error(`job ${jobId}: what the test waits for did not happen within ${WAIT_LIMIT_MS / 1000} s (${states})`);
        }
        const ts = tasks(jobId);
        if (ts.length > 0 && until(ts)) return ts;
        const never = ts.find((t) => t.reason === "DependencyNeverSatisfied");
        if (never) throw new Error(`job ${never.id} can never start: a job it depends on did not succeed`);
        if (exited()) throw new Error(`${exited()!.name} exited while job ${jobId} ran; last lines of its log:\n${tail(exited()!.log)}`);
        await sleep(200);
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Jobs first (slurmd ends their steps), then the daemons, then the folder.
      spawnSync("scancel", ["--user", "root"], { env: { ...process.env, ...env }, stdio: "ignore" });
      for (let waited = 0; waited < 30_000 && !exited(); waited += 200) {
        const left = spawnSync("squeue", ["-h", "-o", "%i"], { encoding: "utf8", env: { ...process.env, ...env } }).stdout?.trim();
        if (!left) break;
        await sleep(200);
      }
      await stopDaemons(daemons);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SIGTERM each daemon, last started first; SIGKILL what is still there after 10 s. */
async function stopDaemons(daemons: Array<{ child: ChildProcess }>): Promise<void> {
  for (const { child } of [...daemons].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  }
}
