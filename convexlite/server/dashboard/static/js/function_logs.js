// The function log, followed as `npx convex logs` and the official dashboard follow it: a
// long poll of GET /api/app_metrics/stream_function_logs?cursor=<ms>, which answers at once
// with newer entries or after a wait with none. Entries are structured (the dashboard's
// `Convex-Client`): `{kind: "Completion" | "Progress", identifier, udfType, requestId,
// executionId, timestamp, logLines: [{level, messages, timestamp}], error?, ...}`.

import { deploymentUrl } from "./session.js";

const RETRY_MS = [1000, 2000, 5000, 10000];

// Calls `onEntries(entries)` with every batch from `since` (ms since the epoch; 0 for all
// the log still holds) until the returned `stop()`; a failed poll calls `onError` and is
// retried after a pause, except a refused key (401, 403), which ends the stream as the
// official dashboard's does.
export function followFunctionLogs(session, onEntries, onError, since = Date.now()) {
  const abort = new AbortController();
  let cursor = since;
  let failures = 0;
  const poll = async () => {
    while (!abort.signal.aborted) {
      try {
        const batch = await session.call("GET",
          `/api/app_metrics/stream_function_logs?cursor=${cursor}`, undefined, abort.signal);
        failures = 0;
        cursor = batch.newCursor;
        if (batch.entries.length > 0) onEntries(batch.entries);
      } catch (error) {
        if (abort.signal.aborted) return;
        onError?.(error);
        if (error.status === 401 || error.status === 403) return;
        const pause = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
        failures += 1;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  };
  poll();
  return () => abort.abort();
}

// One log line's text, as the CLI prints it: its messages joined by spaces.
export const lineText = (line) => (typeof line === "string" ? line : line.messages.join(" "));
