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
    this.functions = new Set();
  }

  // Adds a batch of entries; returns the new rows.
  add(entries) {
    const added = [];
    for (const entry of entries) {
      const rows = entryRows(entry);
      for (const row of rows) this.functions.add(row.call);
      if (entry.kind === "Completion") this.statuses.set(entry.executionId, rows.at(-1).status);
      added.push(...rows);
      this.rows.push(...rows);
    }
    const dropped = this.rows.splice(0, Math.max(0, this.rows.length - this.limit));
    for (const row of dropped) {
      if (row.kind === "outcome") this.statuses.delete(row.entry.executionId);
    }
    this.dropped += dropped.length;
    return added.slice(-this.limit);
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
