// PocketBase's realtime API as both bench clients use it: one SSE stream
// (GET /api/realtime), its PB_CONNECT event's clientId posted back with the topics
// to subscribe to, then onEvent(topic, parsedData) for every other event.
// Resolves to a function that closes the stream.

export async function pbRealtime(baseUrl, topics, onEvent, { onClosed, onError } = {}) {
  const ctl = new AbortController();
  const res = await fetch(baseUrl + "/api/realtime", { signal: ctl.signal });
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  let connected;
  const ready = new Promise((r) => (connected = r));
  (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          if (onClosed) onClosed();
          return;
        }
        buf += dec.decode(value, { stream: true });
        let end;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          let event = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data += line.slice(5).trim();
          }
          if (event === "PB_CONNECT") connected(JSON.parse(data).clientId);
          else onEvent(event, JSON.parse(data));
        }
      }
    } catch (e) {
      if (e.name === "AbortError") return;
      if (onError) onError(e);
      else throw e;
    }
  })();
  const clientId = await ready;
  const sub = await fetch(baseUrl + "/api/realtime", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ clientId, subscriptions: topics }),
  });
  await sub.text();
  if (!sub.ok) throw new Error(`subscribe: ${sub.status}`);
  return () => ctl.abort();
}
