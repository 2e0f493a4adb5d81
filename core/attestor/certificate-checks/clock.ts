/**
 * `clock`: the TPM was not reset or restarted and its firmware did not change between the quotes, its clock
 * is safe, and it advanced as long as the command ran (within the wall time between the quotes).
 */
import { checkGroup } from "./check-group.ts";

/** Clock slack: the TPM clock ticks in milliseconds but is read only at the quotes. */
const CLOCK_SLACK_MS = 2_000;

export const clock = checkGroup(["clock"], ({ payload: pl, evidence: { quote, startQuote } }, record) => {
  // A start quote that did not parse is recorded as this check's failure already.
  if (!quote || !startQuote) return;
  const problems: string[] = [];
  if (!quote.safe || !startQuote.safe) problems.push("a quote's clock is not marked safe (it may have been set back)");
  if (quote.resetCount !== startQuote.resetCount) problems.push(`the TPM was reset during the run (resetCount ${startQuote.resetCount} -> ${quote.resetCount})`);
  if (quote.restartCount !== startQuote.restartCount)
    problems.push(`the TPM restarted during the run (restartCount ${startQuote.restartCount} -> ${quote.restartCount})`);
  if (quote.firmwareVersion !== startQuote.firmwareVersion) problems.push("the firmware version changed during the run");
  const elapsed = Number(quote.clock - startQuote.clock);
  const wall = Date.parse(pl.run.finishedAt) - Date.parse(pl.run.startedAt);
  if (elapsed < 0) problems.push("the TPM clock went backwards");
  else if (elapsed + CLOCK_SLACK_MS < pl.run.durationMs) problems.push(`the TPM clock advanced ${elapsed} ms during a ${pl.run.durationMs} ms command`);
  else if (!(wall >= 0) || elapsed > wall + CLOCK_SLACK_MS + wall / 10) problems.push(`the TPM clock advanced ${elapsed} ms between quotes ${wall} ms apart`);
  record(
    "clock",
    problems.length === 0,
    problems.length === 0
      ? `same reset/restart counters (${quote.resetCount}/${quote.restartCount}), clock safe, ${elapsed} ms between the quotes for a ${pl.run.durationMs} ms command`
      : problems.join("; "),
  );
});
