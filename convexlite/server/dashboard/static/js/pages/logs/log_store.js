// What the Logs page holds of the function log: the last `limit` rows (older ones are
// dropped and counted, so a busy deployment cannot grow the tab without bound), the status
// of each finished execution, and the functions seen.

import { entryRows } from "./rows.js";

export const MAX_ROWS = 10000;

export class LogStore {
  constructor(limit = MAX_ROWS) {
    this.limit = limit;
    this.clear();
  }

  clear() {
    this.rows = [];
    this.dropped = 0;
    this.statuses = new Map(); // executionId → "success" | "failure"
    this.running = new Set(); // executionIds with lines listed and no outcome yet
    this.functions = new Set();
  }

  // Adds a batch of entries; returns the new rows, the old rows it dropped, and whether a
  // finished execution already had rows listed (its earlier lines' status just became
  // known).
  add(entries) {
    const added = [];
    let settled = false;
    for (const entry of entries) {
      const rows = entryRows(entry);
      for (const row of rows) this.functions.add(row.call);
      if (entry.kind === "Completion") {
        settled ||= this.running.delete(entry.executionId);
        this.statuses.set(entry.executionId, rows.at(-1).status);
      } else {
        this.running.add(entry.executionId);
      }
      added.push(...rows);
      this.rows.push(...rows);
    }
    const dropped = this.rows.splice(0, Math.max(0, this.rows.length - this.limit));
    for (const row of dropped) {
      if (row.kind === "outcome") this.statuses.delete(row.entry.executionId);
    }
    this.dropped += dropped.length;
    return { added: added.slice(-this.limit), dropped, settled };
  }

  // "success", "failure", or undefined while the execution runs (and for audit events).
  statusOf(row) {
    return row.kind === "outcome" ? row.status : this.statuses.get(row.entry?.executionId);
  }

  // The entries of one request still held, in the order they came.
  request(requestId) {
    const entries = [];
    for (const row of this.rows) {
      if (row.entry.requestId === requestId && entries.at(-1) !== row.entry) entries.push(row.entry);
    }
    return entries;
  }
}
