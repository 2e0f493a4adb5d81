/**
 * The one TPM lock, first come first served: held by a run from measuring to its end, or by one short TPM
 * step (an enrollment step, a liveness quote). Runs share PCR 23, so one at a time; an AK must not change
 * under a run, and no quote may be made over a run's PCR 23.
 */
import { HttpError } from "./http.ts";

type Holder = "run" | "step";

export class TpmLock {
  private holder: Holder | undefined;
  private readonly waiting: { kind: Holder; go: () => void }[] = [];

  acquire(kind: Holder): Promise<void> {
    return new Promise<void>((res) => {
      const go = () => {
        this.holder = kind;
        res();
      };
      if (!this.holder) go();
      else this.waiting.push({ kind, go });
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next.go();
    else this.holder = undefined;
  }

  /** A run holds the lock. */
  get running(): boolean {
    return this.holder === "run";
  }

  runsWaiting(): number {
    return this.waiting.filter((w) => w.kind === "run").length;
  }

  /** Runs ahead of one queued now: the running one and those waiting. */
  queuePosition(): number {
    return (this.running ? 1 : 0) + this.runsWaiting();
  }

  /**
   * A short TPM step under the lock, refused (409 ATTESTOR_BUSY) while a run holds it or is queued for it:
   * waiting behind training could take hours. It waits only behind other short steps; a run queued
   * meanwhile waits for it.
   */
  async whenIdle<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.running || this.runsWaiting() > 0) {
      const queued = this.runsWaiting();
      throw new HttpError(
        409,
        "ATTESTOR_BUSY",
        `a run holds the TPM${queued ? ` and ${queued} more are queued` : ""}: ${what} waits until the attestor is idle; try again then`,
      );
    }
    await this.acquire("step");
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}
