// Fetch-standard objects with buffered bodies: Blob, File, FormData, Headers,
// Request, Response, AbortController/AbortSignal. Bodies are byte arrays, not
// streams (functions.md §3.6 allows that in v1); `body` exposes a minimal
// one-chunk reader for code that reads streams generically.

const blobData = new WeakMap();
const bodyState = new WeakMap();
const requestState = new WeakMap();
const responseState = new WeakMap();
const signalState = new WeakMap();

function copyBytes(view) {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

function concatBytes(chunks) {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function bytesToBinary(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  return out;
}

function binaryToBytes(text) {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

// ---- Blob / File -------------------------------------------------------------------

function blobPartBytes(part) {
  if (part instanceof Blob) return blobBytes(part);
  if (part instanceof ArrayBuffer) return new Uint8Array(part.slice(0));
  if (ArrayBuffer.isView(part)) return copyBytes(part);
  return utf8Encode(String(part));
}

function blobBytes(blob) {
  const bytes = blobData.get(blob);
  if (bytes === undefined) throw new TypeError("not a Blob");
  return bytes;
}

function normalizeBlobType(type) {
  const text = type === undefined ? "" : String(type);
  return /[^\x20-\x7e]/.test(text) ? "" : text.toLowerCase();
}

class Blob {
  #type;

  constructor(parts = [], options = {}) {
    if (!isObjectLike(parts) || typeof parts[Symbol.iterator] !== "function") {
      throw new TypeError("Blob: the parts must be an iterable");
    }
    blobData.set(this, concatBytes(Array.from(parts, blobPartBytes)));
    this.#type = normalizeBlobType(options?.type);
  }

  get size() {
    return blobBytes(this).length;
  }

  get type() {
    return this.#type;
  }

  slice(start = 0, end = undefined, contentType = "") {
    const bytes = blobBytes(this);
    const clamp = (n) => (n < 0 ? Math.max(bytes.length + n, 0) : Math.min(n, bytes.length));
    const from = clamp(Math.trunc(Number(start) || 0));
    const to = end === undefined ? bytes.length : clamp(Math.trunc(Number(end) || 0));
    return new Blob([bytes.slice(from, Math.max(from, to))], { type: contentType });
  }

  async text() {
    return utf8Decode(blobBytes(this), false, false).text;
  }

  async arrayBuffer() {
    return blobBytes(this).slice().buffer;
  }

  async bytes() {
    return blobBytes(this).slice();
  }

  stream() {
    return bufferedStream(blobBytes(this));
  }

  get [Symbol.toStringTag]() {
    return "Blob";
  }
}

class File extends Blob {
  #name;
  #lastModified;

  constructor(parts, name, options = {}) {
    if (arguments.length < 2) throw new TypeError("File: 2 arguments required");
    super(parts, options);
    this.#name = String(name);
    this.#lastModified = options?.lastModified === undefined ? PatchedDate.now() : Number(options.lastModified);
  }

  get name() {
    return this.#name;
  }

  get lastModified() {
    return this.#lastModified;
  }

  get [Symbol.toStringTag]() {
    return "File";
  }
}

// A one-chunk stand-in for ReadableStream (no stream API yet).
function bufferedStream(bytes) {
  let done = false;
  const reader = {
    read: async () => {
      if (done || bytes.length === 0) {
        done = true;
        return { done: true, value: undefined };
      }
      done = true;
      return { done: false, value: bytes.slice() };
    },
    releaseLock: () => {},
    cancel: async () => {
      done = true;
    },
    closed: Promise.resolve(undefined),
  };
  return {
    locked: false,
    getReader: () => reader,
    cancel: async () => {
      done = true;
    },
    [Symbol.asyncIterator]: async function* iterate() {
      for (;;) {
        const next = await reader.read();
        if (next.done) return;
        yield next.value;
      }
    },
  };
}

// ---- FormData ------------------------------------------------------------------------

function formEntryValue(value, filename) {
  if (value instanceof Blob) {
    if (value instanceof File && filename === undefined) return value;
    const name = filename !== undefined ? String(filename) : value instanceof File ? value.name : "blob";
    return new File([value], name, { type: value.type });
  }
  return toUSVString(value);
}

class FormData {
  #entries = [];

  constructor(form = undefined) {
    if (form !== undefined) throw new TypeError("FormData: HTML forms are not supported");
  }

  append(name, value, filename = undefined) {
    this.#entries.push([toUSVString(name), formEntryValue(value, filename)]);
  }

  delete(name) {
    const key = toUSVString(name);
    this.#entries = this.#entries.filter(([n]) => n !== key);
  }

  get(name) {
    const key = toUSVString(name);
    const found = this.#entries.find(([n]) => n === key);
    return found === undefined ? null : found[1];
  }

  getAll(name) {
    const key = toUSVString(name);
    return this.#entries.filter(([n]) => n === key).map(([, v]) => v);
  }

  has(name) {
    const key = toUSVString(name);
    return this.#entries.some(([n]) => n === key);
  }

  set(name, value, filename = undefined) {
    const key = toUSVString(name);
    const entry = [key, formEntryValue(value, filename)];
    const index = this.#entries.findIndex(([n]) => n === key);
    if (index === -1) this.#entries.push(entry);
    else this.#entries = this.#entries.flatMap((e, i) => (i === index ? [entry] : e[0] === key ? [] : [e]));
  }

  forEach(callback, thisArg = undefined) {
    for (const [name, value] of this.#entries) callback.call(thisArg, value, name, this);
  }

  *entries() {
    for (const [name, value] of this.#entries) yield [name, value];
  }

  *keys() {
    for (const [name] of this.#entries) yield name;
  }

  *values() {
    for (const [, value] of this.#entries) yield value;
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  get [Symbol.toStringTag]() {
    return "FormData";
  }
}

function escapeFormName(name) {
  return name.replace(/\r\n|\r|\n/g, "\r\n").replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22");
}

function encodeMultipart(form) {
  const boundary = `----convexliteFormBoundary${Array.from(randomBytes(8), (b) => b.toString(16).padStart(2, "0")).join("")}`;
  const chunks = [];
  for (const [name, value] of form) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeFormName(name)}"`;
    if (value instanceof File) {
      head += `; filename="${escapeFormName(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}`;
      chunks.push(utf8Encode(`${head}\r\n\r\n`), blobBytes(value), utf8Encode("\r\n"));
    } else {
      chunks.push(utf8Encode(`${head}\r\n\r\n${value.replace(/\r(?!\n)|(?<!\r)\n/g, "\r\n")}\r\n`));
    }
  }
  chunks.push(utf8Encode(`--${boundary}--\r\n`));
  return { bytes: concatBytes(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

function headerParameter(header, name) {
  const match = new RegExp(`;\\s*${name}\\*?=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i").exec(header);
  if (match === null) return null;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2];
}

function decodeMultipart(bytes, contentType) {
  const boundary = headerParameter(contentType, "boundary");
  if (!boundary) throw new TypeError("Could not parse content as FormData: missing boundary");
  const text = bytesToBinary(bytes);
  const delimiter = `--${boundary}`;
  const form = new FormData();
  const sections = text.split(delimiter);
  for (const section of sections.slice(1)) {
    if (section.startsWith("--")) break;
    const headerEnd = section.indexOf("\r\n\r\n");
    if (headerEnd === -1) throw new TypeError("Could not parse content as FormData");
    const headerText = utf8Decode(binaryToBytes(section.slice(2, headerEnd)), false, false).text;
    let content = section.slice(headerEnd + 4);
    if (content.endsWith("\r\n")) content = content.slice(0, -2);
    const headers = new Headers();
    for (const line of headerText.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1));
    }
    const disposition = headers.get("content-disposition") ?? "";
    const name = headerParameter(disposition, "name");
    if (name === null) throw new TypeError("Could not parse content as FormData: a part has no name");
    const filename = headerParameter(disposition, "filename");
    const data = binaryToBytes(content);
    if (filename !== null) {
      form.append(name, new File([data], filename, { type: headers.get("content-type") ?? "" }));
    } else {
      form.append(name, utf8Decode(data, false, false).text);
    }
  }
  return form;
}

// ---- Headers -------------------------------------------------------------------------

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function normalizeHeaderValue(value) {
  const text = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
  if (/[\0\r\n]/.test(text)) throw new TypeError(`Invalid header value: ${JSON.stringify(text)}`);
  return text;
}

function headerName(name) {
  const text = String(name);
  if (!HEADER_NAME.test(text)) throw new TypeError(`Invalid header name: ${JSON.stringify(text)}`);
  return text.toLowerCase();
}

class Headers {
  #map = new Map();

  constructor(init = undefined) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [name, values] of init.#map) this.#map.set(name, values.slice());
      return;
    }
    if (!isObjectLike(init)) throw new TypeError("Headers: init must be an object or a sequence of pairs");
    if (typeof init[Symbol.iterator] === "function") {
      for (const pair of init) {
        const items = [...pair];
        if (items.length !== 2) throw new TypeError("Headers: each header pair must have two items");
        this.append(items[0], items[1]);
      }
      return;
    }
    for (const key of Object.keys(init)) this.append(key, init[key]);
  }

  append(name, value) {
    const key = headerName(name);
    const values = this.#map.get(key) ?? [];
    values.push(normalizeHeaderValue(value));
    this.#map.set(key, values);
  }

  delete(name) {
    this.#map.delete(headerName(name));
  }

  get(name) {
    const values = this.#map.get(headerName(name));
    return values === undefined ? null : values.join(", ");
  }

  getSetCookie() {
    return (this.#map.get("set-cookie") ?? []).slice();
  }

  has(name) {
    return this.#map.has(headerName(name));
  }

  set(name, value) {
    this.#map.set(headerName(name), [normalizeHeaderValue(value)]);
  }

  forEach(callback, thisArg = undefined) {
    for (const [name, value] of this) callback.call(thisArg, value, name, this);
  }

  *entries() {
    const names = [...this.#map.keys()].sort();
    for (const name of names) {
      const values = this.#map.get(name);
      if (values === undefined) continue;
      if (name === "set-cookie") {
        for (const value of values) yield [name, value];
      } else yield [name, values.join(", ")];
    }
  }

  *keys() {
    for (const [name] of this) yield name;
  }

  *values() {
    for (const [, value] of this) yield value;
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  get [Symbol.toStringTag]() {
    return "Headers";
  }
}

// ---- bodies --------------------------------------------------------------------------

function extractBody(init) {
  if (init === null || init === undefined) return { bytes: null, type: null };
  if (typeof init === "string") return { bytes: utf8Encode(init), type: "text/plain;charset=UTF-8" };
  if (init instanceof URLSearchParams) {
    return { bytes: utf8Encode(init.toString()), type: "application/x-www-form-urlencoded;charset=UTF-8" };
  }
  if (init instanceof Blob) return { bytes: blobBytes(init), type: init.type || null };
  if (init instanceof ArrayBuffer) return { bytes: new Uint8Array(init.slice(0)), type: null };
  if (ArrayBuffer.isView(init)) return { bytes: copyBytes(init), type: null };
  if (init instanceof FormData) return encodeMultipart(init);
  if (isObjectLike(init) && (typeof init.getReader === "function" || Symbol.asyncIterator in init)) {
    throw new TypeError("Streaming request/response bodies are not supported by convexlite yet; pass a string, Blob or bytes");
  }
  return { bytes: utf8Encode(String(init)), type: "text/plain;charset=UTF-8" };
}

function consumeBody(holder) {
  const state = bodyState.get(holder);
  if (state.used) throw new TypeError("Body is unusable: Body has already been read");
  state.used = true;
  return state.bytes ?? new Uint8Array(0);
}

// The buffered bytes without marking the body used (host transfers; null = no body).
function peekBody(holder) {
  return bodyState.get(holder).bytes;
}

function requestBytes(request) {
  return peekBody(request);
}

const bodyMethods = {
  get body() {
    const state = bodyState.get(this);
    return state.bytes === null ? null : bufferedStream(state.bytes);
  },
  get bodyUsed() {
    return bodyState.get(this).used;
  },
  async text() {
    return utf8Decode(consumeBody(this), false, false).text;
  },
  async json() {
    return JSON.parse(utf8Decode(consumeBody(this), false, false).text);
  },
  async arrayBuffer() {
    return consumeBody(this).slice().buffer;
  },
  async bytes() {
    return consumeBody(this).slice();
  },
  async blob() {
    const bytes = consumeBody(this);
    return new Blob([bytes], { type: this.headers.get("content-type") ?? "" });
  },
  async formData() {
    const type = this.headers.get("content-type") ?? "";
    const bytes = consumeBody(this);
    if (/^multipart\/form-data/i.test(type)) return decodeMultipart(bytes, type);
    if (/^application\/x-www-form-urlencoded/i.test(type)) {
      const form = new FormData();
      for (const [name, value] of new URLSearchParams(utf8Decode(bytes, false, false).text)) form.append(name, value);
      return form;
    }
    throw new TypeError(`Could not parse content as FormData (content-type ${JSON.stringify(type)})`);
  },
};

function mixBody(Target) {
  for (const key of Object.getOwnPropertyNames(bodyMethods)) {
    Object.defineProperty(Target.prototype, key, Object.getOwnPropertyDescriptor(bodyMethods, key));
  }
}

function initBody(holder, body, headers) {
  const { bytes, type } = extractBody(body);
  if (type !== null && !headers.has("content-type")) headers.set("content-type", type);
  bodyState.set(holder, { bytes, used: false });
}

// ---- AbortController / AbortSignal ---------------------------------------------------

function abortSignal(signal, reason) {
  const state = signalState.get(signal);
  if (state.aborted) return;
  state.aborted = true;
  state.reason = reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
  signal.dispatchEvent(new Event("abort"));
}

class AbortSignal extends EventTarget {
  constructor(key) {
    if (key !== PRELUDE_URL) throw new TypeError("Illegal constructor");
    super();
    signalState.set(this, { aborted: false, reason: undefined });
    this.onabort = null;
  }

  get aborted() {
    return signalState.get(this).aborted;
  }

  get reason() {
    return signalState.get(this).reason;
  }

  throwIfAborted() {
    if (this.aborted) throw this.reason;
  }

  static abort(reason = undefined) {
    const signal = new AbortSignal(PRELUDE_URL);
    abortSignal(signal, reason);
    return signal;
  }

  static timeout(ms) {
    const signal = new AbortSignal(PRELUDE_URL);
    hostGlobal.setTimeout(() => abortSignal(signal, new DOMException("The operation timed out.", "TimeoutError")), ms);
    return signal;
  }

  static any(signals) {
    const signal = new AbortSignal(PRELUDE_URL);
    for (const source of signals) {
      if (source.aborted) {
        abortSignal(signal, source.reason);
        return signal;
      }
    }
    for (const source of signals) source.addEventListener("abort", () => abortSignal(signal, source.reason), { once: true });
    return signal;
  }

  get [Symbol.toStringTag]() {
    return "AbortSignal";
  }
}

class AbortController {
  #signal = new AbortSignal(PRELUDE_URL);

  get signal() {
    return this.#signal;
  }

  abort(reason = undefined) {
    abortSignal(this.#signal, reason);
  }

  get [Symbol.toStringTag]() {
    return "AbortController";
  }
}

// ---- Request -------------------------------------------------------------------------

const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
const NORMALIZED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"]);

function normalizeMethod(method) {
  const text = String(method);
  if (!HEADER_NAME.test(text)) throw new TypeError(`'${text}' is not a valid HTTP method.`);
  const upper = text.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) throw new TypeError(`'${text}' HTTP method is unsupported.`);
  return NORMALIZED_METHODS.has(upper) ? upper : text;
}

class Request {
  constructor(input, init = {}) {
    if (arguments.length === 0) throw new TypeError("Request: 1 argument required");
    const source = input instanceof Request ? input : null;
    const options = init ?? {};
    let url;
    if (source !== null) url = source.url;
    else {
      try {
        url = new URL(input instanceof URL ? input.href : String(input)).href;
      } catch {
        throw new TypeError(`Failed to parse URL from ${String(input)}`);
      }
    }
    const method = normalizeMethod(options.method ?? source?.method ?? "GET");
    const headers = new Headers(options.headers ?? source?.headers);
    let signal = options.signal ?? source?.signal ?? null;
    if (signal === null) signal = new AbortController().signal;
    requestState.set(this, {
      url,
      method,
      headers,
      signal,
      redirect: options.redirect ?? source?.redirect ?? "follow",
    });
    const hasBody = options.body !== undefined && options.body !== null;
    if (hasBody && (method === "GET" || method === "HEAD")) {
      throw new TypeError("Request with GET/HEAD method cannot have body.");
    }
    if (hasBody) initBody(this, options.body, headers);
    else if (source !== null && options.body === undefined) {
      const bytes = peekBody(source);
      bodyState.set(this, { bytes: bytes === null ? null : bytes.slice(), used: false });
    } else bodyState.set(this, { bytes: null, used: false });
  }

  get url() { return requestState.get(this).url; }
  get method() { return requestState.get(this).method; }
  get headers() { return requestState.get(this).headers; }
  get signal() { return requestState.get(this).signal; }
  get redirect() { return requestState.get(this).redirect; }
  get cache() { return "default"; }
  get credentials() { return "same-origin"; }
  get mode() { return "cors"; }
  get referrer() { return "about:client"; }
  get referrerPolicy() { return ""; }
  get integrity() { return ""; }
  get keepalive() { return false; }
  get destination() { return ""; }
  get duplex() { return "half"; }

  clone() {
    if (this.bodyUsed) throw new TypeError("Request.clone: Body has already been consumed.");
    return new Request(this);
  }

  get [Symbol.toStringTag]() {
    return "Request";
  }
}
mixBody(Request);

// ---- Response ------------------------------------------------------------------------

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

class Response {
  constructor(body = null, init = {}) {
    const options = init ?? {};
    const status = options.status === undefined ? 200 : Number(options.status);
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive.`);
    }
    const headers = new Headers(options.headers);
    responseState.set(this, {
      status,
      statusText: options.statusText === undefined ? "" : String(options.statusText),
      headers,
      type: "default",
      url: "",
      redirected: false,
    });
    if (body !== null && body !== undefined && NULL_BODY_STATUS.has(status)) {
      throw new TypeError("Response with null body status cannot have body");
    }
    initBody(this, body, headers);
  }

  static json(data, init = {}) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("Response.json: the data is not JSON serializable");
    const headers = new Headers(init?.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(text, { ...init, headers });
  }

  static error() {
    const response = new Response(null);
    Object.assign(responseState.get(response), { status: 0, type: "error" });
    return response;
  }

  static redirect(url, status = 302) {
    if (!REDIRECT_STATUS.has(status)) throw new RangeError(`Invalid redirect status ${status}`);
    return new Response(null, { status, headers: { location: new URL(String(url)).href } });
  }

  get status() { return responseState.get(this).status; }
  get statusText() { return responseState.get(this).statusText; }
  get ok() { const status = this.status; return status >= 200 && status <= 299; }
  get headers() { return responseState.get(this).headers; }
  get type() { return responseState.get(this).type; }
  get url() { return responseState.get(this).url; }
  get redirected() { return responseState.get(this).redirected; }

  clone() {
    if (this.bodyUsed) throw new TypeError("Response.clone: Body has already been consumed.");
    const copy = new Response(null, { headers: this.headers });
    Object.assign(responseState.get(copy), { ...responseState.get(this), headers: new Headers(this.headers) });
    const bytes = peekBody(this);
    bodyState.set(copy, { bytes: bytes === null ? null : bytes.slice(), used: false });
    return copy;
  }

  get [Symbol.toStringTag]() {
    return "Response";
  }
}
mixBody(Response);

// Status and URL of a fetched response (any status the server sent, e.g. 101 or 304).
function setResponseMeta(response, { status, url }) {
  Object.assign(responseState.get(response), { status, url, type: "basic" });
}

// ---- the HTTP action bridge (jsSyscall, functions.md §3.1) -------------------------------

function requestFromConvexJson(convexJson) {
  const method = convexJson.method ?? "GET";
  const hasBody = convexJson.body !== null && convexJson.body !== undefined;
  return new Request(convexJson.url, {
    method,
    headers: convexJson.headerPairs ?? [],
    body: hasBody && method !== "GET" && method !== "HEAD" ? base64ToBytes(convexJson.body) : null,
  });
}

function convexJsonFromResponse(response) {
  if (!(response instanceof Response)) throw new TypeError("HTTP actions must return a Response");
  const bytes = peekBody(response);
  if (bytes !== null) bodyState.get(response).used = true;
  const out = {
    status: response.status,
    headerPairs: [...response.headers],
    body: bytes === null ? null : bytesToBase64(bytes),
  };
  if (response.url) out.url = response.url;
  return out;
}

defineGlobal("Blob", Blob);
defineGlobal("File", File);
defineGlobal("FormData", FormData);
defineGlobal("Headers", Headers);
defineGlobal("Request", Request);
defineGlobal("Response", Response);
defineGlobal("AbortController", AbortController);
defineGlobal("AbortSignal", AbortSignal);
