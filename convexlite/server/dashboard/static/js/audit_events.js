// The deployment's audit log (`_deployment_audit_log`), live and newest first, a page at a
// time: what the History page lists and the Logs page interleaves with function logs.

const EVENTS = "_system/frontend/paginatedDeploymentEvents:default";

// Watches the events within `filters` ({minDate, maxDate?} in ms); `onUpdate(events,
// {status, loadMore})` gets every change. Index builds are left out, as upstream does: the
// push that made them says the same. Returns the unsubscribe function.
export function watchAuditEvents(session, filters, pageSize, onUpdate, onError) {
  return session.client.onPaginatedUpdate_experimental(
    EVENTS, { filters }, { initialNumItems: pageSize },
    (result) => onUpdate(result.results.filter((event) => event.action !== "build_indexes"),
      result),
    onError);
}

// Who made a change: convexlite has no team members, only admin keys.
export const author = (event) =>
  event.member_id === null || event.member_id === undefined ? "admin key" : `member ${event.member_id}`;
