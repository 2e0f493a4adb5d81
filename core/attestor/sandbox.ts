/**
 * The training command's sandbox. The command is the adversary: with the TPM it could reset PCR 23, extend a
 * made-up log and have the AK quote it; with the attestor's state it could take the AK's authorization; left
 * running, it could change its output after the attestor hashed it. So it runs
 *
 *   - as an unprivileged user (default `provenant-train`, made by scripts/tpm/train-user.sh): no capabilities,
 *     no_new_privs, its own group only (not tss, so no /dev/tpm*);
 *   - in its own network namespace (no network, not even loopback: a swtpm's TCP port is out of reach), PID
 *     namespace (it sees only its own processes, and when the namespace's init dies the kernel kills every
 *     one of them, setsid or not) and mount namespace (for that namespace's /proc);
 *   - under a parent-death chain: attestor → unshare (SIGKILL when the attestor dies) → a root init in the
 *     namespaces (SIGKILL when unshare dies) → the command. The init starts the command only after the
 *     attestor has seen the chain armed (a handshake on fd 3); if the attestor is gone by then, the init reads
 *     end-of-file and exits. The init stays root and never changes credentials, which would clear its
 *     parent-death signal.
 *
 * Its folders are handed over explicitly with POSIX ACLs for the run: read on the code, datasets, parents and
 * config files, search on the working directory and on every ancestor others cannot search, read-write on the
 * output directory. Nothing else of the attestor is granted: the state dir is 0700 and its files 0600. After
 * the run the grants are removed and what the command wrote goes to the owner of the output directory (or of
 * its nearest existing parent); a record in the state dir lets a restarted service finish that after a crash.
 *
 * Before every run a probe runs exactly as the command would (same user, same namespaces) and reports what it
 * can reach: the TPM device nodes, the TCTI's host and port or socket, the attestor's state dir and files, the
 * attestor's /proc entry. Anything reached refuses the run (SANDBOX_UNSAFE).
 */
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdir, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type { Duplex } from "node:stream";
import { ProvenantError } from "../errors.ts";
import { AttestorError } from "./errors.ts";

export const DEFAULT_TRAIN_USER = "provenant-train";

/** In the command line of every sandboxed process tree (the init's $0): how a restarted service finds leftovers. */
export const SANDBOX_MARKER = "provenant-sandbox-init";

const TOOLS = { setpriv: "setpriv", unshare: "unshare", setfacl: "setfacl", chown: "chown", find: "find", sh: "sh", bash: "bash" } as const;
const SEARCH_PATH = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];
const INSTALL_HINT = "run scripts/tpm/install.sh (or scripts/setup-system.sh)";
const HANDOVER_FORMAT = "provenant-handover-v1";

/**
 * The first stage as the user: take the command's environment from stdin (assignments the attestor wrote,
 * single-quoted) and become the command. Every stage before it runs as root with an empty environment, so a
 * request's LD_PRELOAD or BASH_ENV never reaches a root process. dash exports PWD on its own: unset first.
 */
const USER_STAGE = ["unset PWD", 'eval "$(cat)" || exit 125', 'exec "$@" </dev/null'].join("\n");

/**
 * The init in the namespaces (root, PID 1): announce it is armed, wait for the attestor's go, run the command
 * as the user and exit with its status. 125: the attestor went away before the go.
 */
const INIT_SCRIPT = ["printf 'armed\\n' >&3 || exit 125", "IFS= read -r go <&3 || exit 125", '[ "$go" = go ] || exit 125', "exec 3>&-", '"$@"'].join("\n");

/**
 * The probe, as the user in the sandbox: who it is, its capabilities, and each target it can reach.
 * Targets: dev:PATH and file:PATH (readable or writable), dir:PATH (listable or searchable), tcp:HOST:PORT
 * (a connection succeeds).
 */
const PROBE_SCRIPT = [
  'echo "uid $(id -u)"',
  "grep -E '^(CapEff|NoNewPrivs):' /proc/self/status",
  'for t in "$@"; do',
  "  kind=${t%%:*}; what=${t#*:}",
  "  case $kind in",
  '    dev|file) if [ -r "$what" ] || [ -w "$what" ]; then echo "reach $t"; fi ;;',
  '    dir) if [ -r "$what" ] || [ -x "$what" ]; then echo "reach $t"; fi ;;',
  '    tcp) if (exec 3<>"/dev/tcp/${what%:*}/${what##*:}") 2>/dev/null; then echo "reach $t"; fi ;;',
  "  esac",
  "done",
  "echo probed",
].join("\n");

export type TrainUser = { name: string; uid: number; gid: number };

export type SandboxConfig = {
  /** The unprivileged user commands run as; default provenant-train. */
  user?: string;
  /** The attestor's TCTI: what the probe must not reach. */
  tcti: string;
  /** The attestor's state dir: nothing in it may be reachable. Hand-over records are kept here. */
  stateDir: string;
};

/** What a run hands over to its command. Paths absolute. */
export type HandOver = {
  /** Read (recursively): code, datasets, parents, config files. */
  read: string[];
  /** Search and list (not recursively): the working directory. */
  enter: string[];
  /** Read-write (recursively), created when missing: the output directory. */
  write: string;
};

export type SpawnedCommand = {
  child: ChildProcess;
  /** Resolves once the command was told to start; rejects (RUN_FAILED) when the sandbox did not come up. */
  started: Promise<void>;
};

export type CommandSandbox = {
  readonly user: TrainUser;
  /** Probe as the command would run; throws SANDBOX_UNSAFE naming what it could reach. */
  check(): Promise<void>;
  /** Grant the run's folders to the user; the returned function takes the grants back. */
  handOver(h: HandOver): Promise<() => Promise<void>>;
  /** Start argv as the user in the sandbox (its own process group: killing -pid reaches the whole tree). */
  spawn(argv: readonly string[], o: { cwd: string; env: Record<string, string> }): SpawnedCommand;
  /** After a crash: take back the grants of a run that did not end. */
  recover(): Promise<void>;
};

const unsafe = (message: string, cause?: unknown) => new AttestorError("SANDBOX_UNSAFE", message, cause ? { cause } : undefined);

function findTool(name: string): string {
  const found = SEARCH_PATH.map((d) => join(d, name)).find((p) => existsSync(p));
  if (!found) throw unsafe(`${name} is not installed, so training commands cannot be sandboxed; ${INSTALL_HINT}`);
  return found;
}

function exec(file: string, args: readonly string[], o: { env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(file, args, { encoding: "utf8", maxBuffer: 16 << 20, env: o.env ?? { PATH: SEARCH_PATH.join(":") } }, (error, stdout, stderr) =>
      res({ code: error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : 1) : 0, stdout, stderr }),
    );
  });
}

/** The last line of a tool's output: where setfacl, chown and setpriv say what went wrong. */
const lastLine = (s: string) => s.trim().split("\n").at(-1) ?? "";

async function lookUpUser(name: string): Promise<TrainUser> {
  if (!/^[a-z_][a-z0-9_-]*[$]?$/i.test(name)) throw unsafe(`${JSON.stringify(name)} is not a user name`);
  const [uid, gid] = await Promise.all([exec("id", ["-u", name]), exec("id", ["-g", name])]);
  if (uid.code !== 0 || gid.code !== 0) {
    throw unsafe(`there is no user ${name} to run training commands as: create it with scripts/tpm/install.sh (or scripts/tpm/train-user.sh)`);
  }
  const user = { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  if (user.uid === 0 || user.gid === 0) throw unsafe(`the training user ${name} is root; it must be an unprivileged user`);
  return user;
}

/** What the command must not reach, as probe targets: the TCTI's device or endpoint, every TPM device node. */
export function tctiTargets(tcti: string): string[] {
  const colon = tcti.indexOf(":");
  const kind = colon < 0 ? tcti : tcti.slice(0, colon);
  const conf = colon < 0 ? "" : tcti.slice(colon + 1);
  const targets = readdirSync("/dev")
    .filter((n) => /^tpm(rm)?\d+$/.test(n))
    .map((n) => `dev:/dev/${n}`);
  targets.push("dev:/dev/tpm0", "dev:/dev/tpmrm0");
  if (kind === "device") {
    targets.push(`dev:${conf || "/dev/tpmrm0"}`);
  } else if (kind === "swtpm" || kind === "mssim") {
    const kv = new Map<string, string>();
    for (const part of conf.split(",").filter(Boolean)) {
      const eq = part.indexOf("=");
      if (eq < 0) throw unsafe(`cannot tell where TCTI ${tcti} connects: "${part}" is not key=value`);
      kv.set(part.slice(0, eq), part.slice(eq + 1));
    }
    const path = kv.get("path");
    if (path) targets.push(`file:${path}`, `file:${path}.ctrl`);
    else {
      const host = kv.get("host") ?? "localhost";
      const port = Number(kv.get("port") ?? 2321);
      if (!Number.isInteger(port) || port < 1 || port > 65534) throw unsafe(`TCTI ${tcti} has no valid port`);
      // The TCTI's control channel is always the next port.
      targets.push(`tcp:${host}:${port}`, `tcp:${host}:${port + 1}`);
    }
  } else {
    throw unsafe(`cannot check that a training command cannot reach the TPM through TCTI ${JSON.stringify(tcti)}: use device:… (hardware) or swtpm:…/mssim:…`);
  }
  return [...new Set(targets)];
}

/** The state dir and everything in it (bounded: it holds a handful of files, plus swtpm/ with --swtpm). */
function stateTargets(stateDir: string): string[] {
  const out = [`dir:${stateDir}`];
  for (const e of readdirSync(stateDir, { withFileTypes: true, recursive: true }).slice(0, 500)) {
    out.push(`${e.isDirectory() ? "dir" : "file"}:${join(e.parentPath, e.name)}`);
  }
  return out;
}

/**
 * Kill what is left of a sandboxed command a previous attestor process started, given its launcher's pid: only
 * when that pid still runs a sandbox (its command line has the marker), so a reused pid is never hit.
 */
export function killLeftover(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return false;
  }
  if (!cmdline.split("\0").includes(SANDBOX_MARKER)) return false;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // gone already
    }
  }
  return true;
}

const within = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** Open the sandbox: fails closed (SANDBOX_UNSAFE, one line) when commands cannot be run as the user. */
export async function openSandbox(config: SandboxConfig): Promise<CommandSandbox> {
  if (process.platform !== "linux") throw unsafe("training commands can be sandboxed only on Linux (namespaces, setpriv)");
  if (process.getuid?.() !== 0) {
    throw unsafe(`the attestor must run as root to start training commands as the unprivileged user ${config.user ?? DEFAULT_TRAIN_USER}`);
  }
  const tools = Object.fromEntries(Object.entries(TOOLS).map(([k, v]) => [k, findTool(v)])) as Record<keyof typeof TOOLS, string>;
  const user = await lookUpUser(config.user ?? DEFAULT_TRAIN_USER);
  const stateDir = resolve(config.stateDir);
  const recordPath = join(stateDir, "handover.json");
  const tpmTargets = tctiTargets(config.tcti);

  function spawnSandboxed(argv: readonly string[], o: { cwd: string; env: Record<string, string> }): SpawnedCommand {
    const args = [
      "--pdeathsig",
      "KILL",
      "--",
      tools.unshare,
      "--net",
      "--pid",
      "--fork",
      "--kill-child=SIGKILL",
      "--mount-proc",
      "--",
      tools.sh,
      "-c",
      INIT_SCRIPT,
      SANDBOX_MARKER,
      tools.setpriv,
      "--reuid",
      String(user.uid),
      "--regid",
      String(user.gid),
      "--clear-groups",
      "--no-new-privs",
      "--inh-caps=-all",
      "--bounding-set=-all",
      "--pdeathsig",
      "KILL",
      "--",
      tools.sh,
      "-c",
      USER_STAGE,
      "provenant-command",
      ...argv,
    ];
    const assignments = Object.entries(o.env).map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
        throw new ProvenantError("INPUT_INVALID", `environment variable name ${JSON.stringify(k)} cannot be passed to the command`);
      return `export ${k}='${v.replaceAll("'", "'\\''")}'\n`;
    });
    const child = spawn(tools.setpriv, args, {
      cwd: o.cwd,
      env: {},
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      detached: true, // its own process group: a kill reaches whatever it started
    });
    child.stdin!.on("error", () => {}); // a sandbox that died early closed it; `started` says why
    child.stdin!.end(assignments.join(""));
    const control = child.stdio[3] as unknown as Duplex;
    const started = new Promise<void>((res, rej) => {
      let heard = "";
      let stderr = "";
      const onErr = (c: Buffer) => (stderr += c.toString());
      child.stderr!.on("data", onErr);
      const fail = (why: string) => {
        child.stderr!.off("data", onErr);
        rej(new AttestorError("RUN_FAILED", `the training command's sandbox did not start: ${why}`));
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(lastLine(stderr) || (signal ? `killed by ${signal}` : `exit code ${code}`));
      child.once("error", (e) => fail(e.message));
      child.once("exit", onExit);
      control.on("data", (c: Buffer) => {
        heard += c.toString();
        if (heard !== "armed\n") return;
        child.off("exit", onExit);
        child.stderr!.off("data", onErr);
        control.write("go\n");
        res();
      });
      control.on("error", () => {});
    });
    started.catch(() => {});
    return { child, started };
  }

  /** Run the probe in the sandbox as the user; the lines it printed. */
  async function probe(targets: string[]): Promise<string[]> {
    const { child, started } = spawnSandboxed([tools.bash, "-c", PROBE_SCRIPT, "probe", ...targets], { cwd: "/", env: { PATH: SEARCH_PATH.join(":") } });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const closed = new Promise<number | null>((res) => child.once("close", (code) => res(code)));
    try {
      await started;
    } catch (e) {
      throw unsafe(`cannot start a command as ${user.name} in its sandbox (${(e as Error).message.replace(/^.*did not start: /, "")})`, e);
    }
    const code = await closed;
    const lines = stdout.split("\n").filter(Boolean);
    if (code !== 0 || lines.at(-1) !== "probed") {
      throw unsafe(`the sandbox probe as ${user.name} failed (exit ${code}): ${lastLine(stderr) || "no output"}`);
    }
    return lines;
  }

  async function check(): Promise<void> {
    const lines = await probe([...tpmTargets, ...stateTargets(stateDir), `file:/proc/${process.pid}/environ`, `dir:/proc/${process.pid}/root`]);
    const value = (key: string) => lines.find((l) => l.startsWith(key))?.split(/\s+/)[1];
    if (value("uid") !== String(user.uid)) throw unsafe(`the sandbox probe ran as uid ${value("uid")}, not ${user.name} (${user.uid})`);
    if (!/^0+$/.test(value("CapEff:") ?? "x")) throw unsafe(`the training command would run with capabilities ${value("CapEff:")}`);
    if (value("NoNewPrivs:") !== "1") throw unsafe("the training command would run without no_new_privs");
    const reached = lines.filter((l) => l.startsWith("reach ")).map((l) => l.slice("reach ".length).replace(/^[a-z]+:/, ""));
    if (reached.length > 0) {
      throw unsafe(
        `refusing to run: the training command's user ${user.name} can reach ${reached.join(", ")}; only the attestor may use the TPM and its state (see docs/attestor.md)`,
      );
    }
  }

  /** setfacl with `args` on `paths`, a few thousand paths per process. */
  async function setfacl(args: string[], paths: string[], quiet = false): Promise<void> {
    for (let i = 0; i < paths.length; i += 2000) {
      const r = await exec(tools.setfacl, [...args, "--", ...paths.slice(i, i + 2000)]);
      if (r.code !== 0 && !quiet) throw unsafe(`setfacl ${args.join(" ")} failed: ${lastLine(r.stderr)}`);
    }
  }

  /**
   * What under `path` the user cannot read as "other": directories without o+rx, files without o+r. Only
   * these get an entry, so a world-readable dataset is handed over without touching a file. Symbolic
   * links are not followed.
   */
  async function unreadable(path: string): Promise<string[]> {
    const args = [path, "(", "-type", "d", "!", "-perm", "-005", "-o", "-type", "f", "!", "-perm", "-004", ")", "-print0"];
    const r = await exec(tools.find, args);
    if (r.code !== 0) throw unsafe(`cannot list ${path} to hand it over: ${lastLine(r.stderr)}`);
    return r.stdout.split("\0").filter(Boolean);
  }

  /** The ancestors of `path` that others cannot search (they get an ACL entry for the user). */
  async function closedAncestors(path: string): Promise<string[]> {
    const out: string[] = [];
    for (let d = dirname(path); d !== dirname(d); d = dirname(d)) {
      if (((await stat(d)).mode & 0o001) === 0) out.push(d);
    }
    return out;
  }

  type Record_ = {
    format: typeof HANDOVER_FORMAT;
    uid: number;
    /** Granted recursively (the output dir), and one by one (ancestors, the working dir, closed inputs). */
    recursive: string[];
    single: string[];
    /** The output dir, the folders made for it, and who gets what the command wrote. */
    output: { dir: string; made: string[]; uid: number; gid: number };
  };

  async function release(r: Record_): Promise<void> {
    // What the command wrote (and only that: --from its uid) goes to the output's owner, links not followed:
    // the command may have planted links, or hard links to files it could write but does not own.
    const owner = `${r.output.uid}:${r.output.gid}`;
    const chown = async (args: string[]) => {
      const own = await exec(tools.chown, args);
      if (own.code !== 0) throw unsafe(`chown ${args.join(" ")} failed: ${lastLine(own.stderr)}`);
    };
    if (existsSync(r.output.dir)) await chown(["-R", "-h", "-P", `--from=${r.uid}`, owner, r.output.dir]);
    const made = r.output.made.filter((p) => existsSync(p));
    if (made.length) await chown(["-h", owner, ...made]);
    const recursive = r.recursive.filter((p) => existsSync(p));
    const single = r.single.filter((p) => existsSync(p));
    await setfacl(["-R", "-P", "-x", `u:${r.uid}`], recursive);
    await setfacl(["-P", "-x", `u:${r.uid}`], single);
    // Drop the mask entry our grant added where no other named entry needs it (fails, harmlessly, where one does).
    await setfacl(["-R", "-P", "-x", "m::"], recursive, true);
    await setfacl(["-P", "-x", "m::"], single, true);
    await rm(recordPath, { force: true });
  }

  async function handOver(h: HandOver): Promise<() => Promise<void>> {
    if (existsSync(recordPath)) await recover();
    const real = async (p: string, what: string) => {
      try {
        return await realpath(p);
      } catch (e) {
        throw new ProvenantError("INPUT_NOT_FOUND", `${what} ${p} does not exist`, { cause: e });
      }
    };
    const read = await Promise.all(h.read.map((p) => real(p, "input")));
    const enter = await Promise.all(h.enter.map((p) => real(p, "working directory")));
    // What the command writes, and the folders made for it, go to the owner of the nearest existing folder.
    const made: string[] = [];
    let existing = resolve(h.write);
    for (; !existsSync(existing); existing = dirname(existing)) made.unshift(existing);
    const owner = await stat(existing);
    await mkdir(resolve(h.write), { recursive: true });
    const write = await real(h.write, "output directory");
    const system = (p: string) => ["/dev", "/proc", "/sys"].some((d) => within(p, d)) || within(p, stateDir);
    for (const p of [...read, write]) {
      if (p === "/" || system(p) || within(stateDir, p)) {
        throw unsafe(`refusing to hand ${p} to the training command: it is or holds the attestor's state or the system's devices`);
      }
    }
    // The working directory is entered and listed, not read through: it may hold the state dir, not be in it.
    for (const p of enter) if (system(p)) throw unsafe(`refusing to let the training command work in ${p}: it is the attestor's state or the system's`);
    const ancestors = new Set<string>();
    for (const p of [...read, ...enter, write]) for (const a of await closedAncestors(p)) ancestors.add(a);
    const closedInputs: string[] = [];
    for (const p of read) closedInputs.push(...(await unreadable(p)));
    const record: Record_ = {
      format: HANDOVER_FORMAT,
      uid: user.uid,
      recursive: [write],
      single: [...new Set([...enter, ...ancestors, ...closedInputs])],
      output: { dir: write, made, uid: owner.uid, gid: owner.gid },
    };
    // Recorded before granting, so a crash in between is taken back by recover().
    await writeFile(recordPath, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    try {
      await setfacl(
        ["-P", "-m", `u:${user.uid}:x`],
        [...ancestors].filter((a) => !enter.includes(a) && !closedInputs.includes(a)),
      );
      await setfacl(["-P", "-m", `u:${user.uid}:rX`], [...new Set([...enter, ...closedInputs])]);
      await setfacl(["-R", "-P", "-m", `u:${user.uid}:rwX`], [write]);
    } catch (e) {
      await release(record).catch(() => {});
      throw e;
    }
    return () => release(record);
  }

  async function recover(): Promise<void> {
    let text: string;
    try {
      text = await readFile(recordPath, "utf8");
    } catch {
      return;
    }
    const r = JSON.parse(text) as Record_;
    if (r.format !== HANDOVER_FORMAT) throw new ProvenantError("FORMAT_UNSUPPORTED", `${recordPath} has format ${String(r.format)}, expected ${HANDOVER_FORMAT}`);
    await release(r);
  }

  return { user, check, handOver, spawn: spawnSandboxed, recover };
}
