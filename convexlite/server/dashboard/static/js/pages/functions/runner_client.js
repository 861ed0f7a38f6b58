// The function runner's own sync client: the admin key, acting as a user when given an
// identity (`setAdminAuth(key, identity)`, as the official runner does), kept apart from
// the session's client so the dashboard's own subscriptions stay the admin's.

import { deploymentUrl } from "../../session.js";

export class RunnerClient {
  constructor(session) {
    this.key = session.key;
    this.identity = undefined;
    this.listeners = new Map(); // query token -> read its new result
    this.client = new convex.BaseConvexClient(deploymentUrl, (tokens) => {
      for (const token of tokens) this.listeners.get(token)?.();
    }, { unsavedChangesWarning: false, logger: false });
    this.client.setAdminAuth(this.key);
  }

  // Runs what follows as `identity` (undefined: as the admin).
  actAs(identity) {
    if (JSON.stringify(identity) === JSON.stringify(this.identity)) return;
    this.identity = identity;
    this.client.setAdminAuth(this.key, identity);
  }

  // Subscribes to a query; `onResult({value} | {error}, logLines)` on every result.
  watch(path, args, componentPath, onResult) {
    const { queryToken, unsubscribe } = this.client.subscribe(path, args, { componentPath });
    const read = () => {
      const logLines = this.client.localQueryLogs(path, args) ?? [];
      let outcome;
      try {
        outcome = { value: this.client.localQueryResultByToken(queryToken) };
      } catch (error) {
        outcome = { error };
      }
      onResult(outcome, logLines);
    };
    this.listeners.set(queryToken, read);
    if (this.client.hasLocalQueryResultByToken(queryToken)) read();
    return () => {
      this.listeners.delete(queryToken);
      unsubscribe();
    };
  }

  // Runs a mutation or an action: `{success, value | errorMessage, errorData?, logLines}`.
  run(udfType, path, args, componentPath) {
    return udfType === "Mutation"
      ? this.client.mutationInternal(path, args, undefined, componentPath)
      : this.client.actionInternal(path, args, componentPath);
  }

  close() {
    return this.client.close();
  }
}
