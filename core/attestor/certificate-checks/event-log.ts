/** `eventLog`: the certificate's event log is the one its inputs give, in order, and the inner digests match their contents. */
import { TRAINING_PCR } from "../pcr-events.ts";
import { checkGroup } from "./check-group.ts";

export const eventLog = checkGroup(["eventLog"], (ctx, record) => {
  const expected = ctx.expectedEventLog();
  if (!expected.ok) {
    record("eventLog", false, expected.error);
    return;
  }
  const { inputs: i, eventLog: log } = ctx.payload;
  const { events, innerMismatches: inner } = expected;
  const mismatch =
    log.length !== events.length
      ? `${log.length} events, expected ${events.length}`
      : log.findIndex((e, k) => e.type !== events[k]!.type || e.digest !== events[k]!.digest || e.pcr !== TRAINING_PCR);
  const ok = inner.length === 0 && mismatch === -1;
  record(
    "eventLog",
    ok,
    ok
      ? `${log.length} events (run, ${i.datasets.length} dataset(s), ${i.parents.length} parent(s), code, command, config, environment, output) recomputed from the inputs`
      : inner.length
        ? `${inner.join(", ")} do not match their contents`
        : typeof mismatch === "string"
          ? mismatch
          : `event ${mismatch} (${log[mismatch]!.type}) is not the measurement the inputs give`,
  );
});
