// URL and URLSearchParams following the WHATWG URL Standard for the cases functions
// meet: special and non-special schemes, credentials, IPv4/IPv6 hosts, punycode,
// default ports, dot segments, percent-encoding sets, relative resolution, setters
// and the live link between a URL and its searchParams.

const SPECIAL_SCHEMES = { "ftp": 21, "file": null, "http": 80, "https": 443, "ws": 80, "wss": 443 };

function isSpecialScheme(scheme) {
  return Object.prototype.hasOwnProperty.call(SPECIAL_SCHEMES, scheme);
}

function inSet(extra) {
  const chars = new Set(extra);
  return (code) => code < 0x20 || code > 0x7e || chars.has(String.fromCharCode(code));
}

const C0_CONTROL_SET = inSet("");
const FRAGMENT_SET = inSet(" \"<>`");
const QUERY_SET = inSet(" \"#<>");
const SPECIAL_QUERY_SET = inSet(" \"#<>'");
const PATH_SET = inSet(" \"#<>?^`{}");
const USERINFO_SET = inSet(" \"#<>?^`{}/:;=@[\\]|");
const FORM_SET = (code) => !(
  (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) ||
  code === 0x2a || code === 0x2d || code === 0x2e || code === 0x5f
);

function percentEncode(text, set, spaceAsPlus = false) {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0);
    if (spaceAsPlus && code === 0x20) {
      out += "+";
      continue;
    }
    if (code < 0x80 && !set(code)) {
      out += ch;
      continue;
    }
    for (const byte of utf8Encode(ch)) {
      out += code >= 0x80 || set(byte) ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}` : String.fromCharCode(byte);
    }
  }
  return out;
}

function percentDecodeBytes(text) {
  const bytes = utf8Encode(text);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  const isHex = (b) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x25 && i + 2 < bytes.length && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out[n++] = parseInt(String.fromCharCode(bytes[i + 1], bytes[i + 2]), 16);
      i += 2;
    } else out[n++] = b;
  }
  return out.slice(0, n);
}

function percentDecode(text) {
  return utf8Decode(percentDecodeBytes(text), false, false).text;
}

function urlFailure(input) {
  return new TypeError(`Invalid URL: ${input}`);
}

// ---- hosts ----------------------------------------------------------------------

const FORBIDDEN_HOST = /[\u0000\t\n\r #/:<>?@[\\\]^|]/;
const FORBIDDEN_DOMAIN = /[\u0000-\u001f #%/:<>?@[\\\]^|\u007f]/;

function parseIPv4Number(part) {
  if (part === "") return NaN;
  let radix = 10;
  let digits = part;
  if (/^0[xX]/.test(part)) {
    radix = 16;
    digits = part.slice(2);
    if (digits === "") return 0;
  } else if (part.length > 1 && part[0] === "0") {
    radix = 8;
    digits = part.slice(1);
  }
  const valid = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return NaN;
  return parseInt(digits, radix);
}

function endsInNumber(host) {
  const parts = host.split(".");
  if (parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
  const last = parts[parts.length - 1];
  return /^[0-9]+$/.test(last) || /^0[xX][0-9a-fA-F]*$/.test(last);
}

function parseIPv4(host, input) {
  const parts = host.split(".");
  if (parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
  if (parts.length > 4) throw urlFailure(input);
  const numbers = parts.map(parseIPv4Number);
  if (numbers.some(Number.isNaN)) throw urlFailure(input);
  const last = numbers.pop();
  if (numbers.some((n) => n > 255) || last >= 256 ** (4 - numbers.length)) throw urlFailure(input);
  let address = last;
  numbers.forEach((n, i) => {
    address += n * 256 ** (3 - i);
  });
  const octets = [];
  for (let i = 3; i >= 0; i--) octets.push(Math.floor(address / 256 ** i) % 256);
  return octets.join(".");
}

function parseIPv6(text, input) {
  const fail = () => urlFailure(input);
  let body = text;
  let tail = [];
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (v4) {
    const octets = v4[2].split(".").map((o) => (/^(0|[1-9]\d{0,2})$/.test(o) ? Number(o) : 256));
    if (octets.some((o) => o > 255)) throw fail();
    tail = [(octets[0] << 8) | octets[1], (octets[2] << 8) | octets[3]];
    body = v4[1].endsWith("::") ? v4[1] : v4[1].slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) throw fail();
  const groups = (half) => (half === "" ? [] : half.split(":").map((g) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw fail();
    return parseInt(g, 16);
  }));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const total = head.length + rest.length + tail.length;
  let pieces;
  if (halves.length === 2) {
    if (total > 7) throw fail();
    pieces = [...head, ...new Array(8 - total).fill(0), ...rest, ...tail];
  } else {
    if (total !== 8) throw fail();
    pieces = [...head, ...tail];
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (pieces[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && pieces[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? "::" : ":";
      i += bestLength - 1;
      continue;
    }
    out += pieces[i].toString(16) + (i < 7 ? ":" : "");
  }
  return `[${out}]`;
}

function punycodeEncodeLabel(label) {
  const codes = Array.from(label, (ch) => ch.codePointAt(0));
  let output = codes.filter((c) => c < 0x80).map((c) => String.fromCharCode(c)).join("");
  const basic = output.length;
  let handled = basic;
  if (basic > 0) output += "-";
  let n = 128;
  let delta = 0;
  let bias = 72;
  const digit = (d) => String.fromCharCode(d + 22 + 75 * (d < 26));
  const adapt = (d, points, first) => {
    let value = first ? Math.floor(d / 700) : d >> 1;
    value += Math.floor(value / points);
    let k = 0;
    while (value > 455) {
      value = Math.floor(value / 35);
      k += 36;
    }
    return k + Math.floor((36 * value) / (value + 38));
  };
  while (handled < codes.length) {
    const m = Math.min(...codes.filter((c) => c >= n));
    delta += (m - n) * (handled + 1);
    n = m;
    for (const c of codes) {
      if (c < n) delta++;
      if (c !== n) continue;
      let q = delta;
      for (let k = 36; ; k += 36) {
        const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
        if (q < t) break;
        output += digit(t + ((q - t) % (36 - t)));
        q = Math.floor((q - t) / (36 - t));
      }
      output += digit(q);
      bias = adapt(delta, handled + 1, handled === basic);
      delta = 0;
      handled++;
    }
    delta++;
    n++;
  }
  return `xn--${output}`;
}

function domainToASCII(domain) {
  return domain.normalize("NFC").toLowerCase().replace(/[\u3002\uff0e\uff61]/g, ".").split(".")
    .map((label) => (/^[\x00-\x7f]*$/.test(label) ? label : punycodeEncodeLabel(label)))
    .join(".");
}

function parseHost(text, special, input) {
  if (text.startsWith("[")) {
    if (!text.endsWith("]")) throw urlFailure(input);
    return parseIPv6(text.slice(1, -1), input);
  }
  if (!special) {
    if (FORBIDDEN_HOST.test(text)) throw urlFailure(input);
    return percentEncode(text, C0_CONTROL_SET);
  }
  const ascii = domainToASCII(percentDecode(text));
  if (ascii === "" || FORBIDDEN_DOMAIN.test(ascii)) throw urlFailure(input);
  return endsInNumber(ascii) ? parseIPv4(ascii, input) : ascii;
}

// ---- parsing --------------------------------------------------------------------

function isSingleDot(segment) {
  return segment === "." || segment.toLowerCase() === "%2e";
}

function isDoubleDot(segment) {
  return ["..", ".%2e", "%2e.", "%2e%2e"].includes(segment.toLowerCase());
}

function appendPath(segments, text, special) {
  const parts = text.split(special ? /[/\\]/ : "/");
  parts.forEach((segment, index) => {
    const last = index === parts.length - 1;
    if (isDoubleDot(segment)) {
      segments.pop();
      if (last) segments.push("");
    } else if (isSingleDot(segment)) {
      if (last) segments.push("");
    } else {
      segments.push(percentEncode(segment, PATH_SET));
    }
  });
  return segments;
}

// Split "path?query#fragment" into its three parts (query/fragment null if absent).
function splitTail(text) {
  let fragment = null;
  let rest = text;
  const hash = rest.indexOf("#");
  if (hash !== -1) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query = null;
  const mark = rest.indexOf("?");
  if (mark !== -1) {
    query = rest.slice(mark + 1);
    rest = rest.slice(0, mark);
  }
  return [rest, query, fragment];
}

function encodeTail(record, query, fragment) {
  const special = isSpecialScheme(record.scheme);
  record.query = query === null ? null : percentEncode(query, special ? SPECIAL_QUERY_SET : QUERY_SET);
  record.fragment = fragment === null ? null : percentEncode(fragment, FRAGMENT_SET);
  return record;
}

function emptyRecord(scheme) {
  return { scheme, username: "", password: "", host: null, port: null, path: [], opaque: null, query: null, fragment: null };
}

function parseAuthority(scheme, text, input) {
  const special = isSpecialScheme(scheme);
  const record = emptyRecord(scheme);
  const end = text.search(special ? /[/\\?#]/ : /[/?#]/);
  const authority = end === -1 ? text : text.slice(0, end);
  const rest = end === -1 ? "" : text.slice(end);
  let hostPort = authority;
  const at = authority.lastIndexOf("@");
  if (at !== -1) {
    const userinfo = authority.slice(0, at);
    hostPort = authority.slice(at + 1);
    const colon = userinfo.indexOf(":");
    record.username = percentEncode(colon === -1 ? userinfo : userinfo.slice(0, colon), USERINFO_SET);
    record.password = colon === -1 ? "" : percentEncode(userinfo.slice(colon + 1), USERINFO_SET);
    if (hostPort === "") throw urlFailure(input);
  }
  let hostText = hostPort;
  let portText = null;
  const close = hostPort.lastIndexOf("]");
  const colon = hostPort.indexOf(":", close === -1 ? 0 : close);
  if (colon !== -1) {
    hostText = hostPort.slice(0, colon);
    portText = hostPort.slice(colon + 1);
  }
  if (hostText === "") {
    if (special && scheme !== "file") throw urlFailure(input);
    if (record.username || record.password || portText) throw urlFailure(input);
    record.host = "";
  } else {
    record.host = parseHost(hostText, special, input);
    if (scheme === "file" && record.host === "localhost") record.host = "";
  }
  record.port = parsePort(portText, scheme, input);
  const [pathText, query, fragment] = splitTail(rest);
  record.path = appendPath([], pathText.replace(special ? /^[/\\]/ : /^\//, ""), special);
  if (pathText === "") record.path = special ? [""] : [];
  return encodeTail(record, query, fragment);
}

function parsePort(text, scheme, input) {
  if (text === null || text === "") return null;
  if (!/^[0-9]+$/.test(text)) throw urlFailure(input);
  const port = Number(text);
  if (port > 65535) throw urlFailure(input);
  return SPECIAL_SCHEMES[scheme] === port ? null : port;
}

function parseRelative(text, base, input) {
  const special = isSpecialScheme(base.scheme);
  if (base.opaque !== null) {
    if (!text.startsWith("#")) throw urlFailure(input);
    return { ...base, fragment: percentEncode(text.slice(1), FRAGMENT_SET) };
  }
  if (special ? /^[/\\]{2}/.test(text) : text.startsWith("//")) {
    return parseAuthority(base.scheme, special ? text.replace(/^[/\\]+/, "") : text.slice(2), input);
  }
  const record = { ...base, path: base.path.slice() };
  const [pathText, query, fragment] = splitTail(text);
  if (special ? /^[/\\]/.test(pathText) : pathText.startsWith("/")) {
    record.path = appendPath([], pathText.slice(1), special);
    return encodeTail(record, query, fragment);
  }
  if (pathText === "") {
    encodeTail(record, query, fragment);
    if (query === null) record.query = base.query;
    return record;
  }
  record.path.pop();
  appendPath(record.path, pathText, special);
  return encodeTail(record, query, fragment);
}

function parseURLRecord(input, base) {
  const text = String(input).replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "").replace(/[\t\n\r]/g, "");
  const match = /^([A-Za-z][A-Za-z0-9+\-.]*):/.exec(text);
  if (match === null) {
    if (base === null) throw urlFailure(input);
    return parseRelative(text, base, input);
  }
  const scheme = match[1].toLowerCase();
  const rest = text.slice(match[0].length);
  if (isSpecialScheme(scheme)) {
    if (scheme === "file" && !/^[/\\]{2}/.test(rest)) {
      if (base !== null && base.scheme === "file") return parseRelative(rest, base, input);
      const record = emptyRecord(scheme);
      record.host = "";
      const [pathText, query, fragment] = splitTail(rest);
      record.path = appendPath([], pathText.replace(/^[/\\]/, ""), true);
      return encodeTail(record, query, fragment);
    }
    if (scheme === "file") return parseAuthority(scheme, rest.slice(2), input);
    if (base !== null && base.scheme === scheme && !/^[/\\]/.test(rest)) return parseRelative(rest, base, input);
    return parseAuthority(scheme, rest.replace(/^[/\\]+/, ""), input);
  }
  if (rest.startsWith("//")) return parseAuthority(scheme, rest.slice(2), input);
  const record = emptyRecord(scheme);
  const [pathText, query, fragment] = splitTail(rest);
  if (pathText.startsWith("/")) record.path = appendPath([], pathText.slice(1), false);
  else record.opaque = percentEncode(pathText, C0_CONTROL_SET);
  return encodeTail(record, query, fragment);
}

function serializeHost(record) {
  let out = "";
  if (record.username !== "" || record.password !== "") {
    out += record.username + (record.password !== "" ? `:${record.password}` : "") + "@";
  }
  return out + record.host + (record.port === null ? "" : `:${record.port}`);
}

function serializePath(record) {
  if (record.opaque !== null) return record.opaque;
  return record.path.length === 0 ? "" : `/${record.path.join("/")}`;
}

function serializeURL(record, excludeFragment = false) {
  let out = `${record.scheme}:`;
  if (record.host !== null) out += `//${serializeHost(record)}`;
  else if (record.opaque === null && record.path.length > 1 && record.path[0] === "") out += "/.";
  out += serializePath(record);
  if (record.query !== null) out += `?${record.query}`;
  if (!excludeFragment && record.fragment !== null) out += `#${record.fragment}`;
  return out;
}

// ---- URLSearchParams --------------------------------------------------------------

function parseFormEncoded(text) {
  const list = [];
  for (const piece of text.split("&")) {
    if (piece === "") continue;
    const eq = piece.indexOf("=");
    const name = eq === -1 ? piece : piece.slice(0, eq);
    const value = eq === -1 ? "" : piece.slice(eq + 1);
    list.push([percentDecode(name.replace(/\+/g, " ")), percentDecode(value.replace(/\+/g, " "))]);
  }
  return list;
}

function serializeFormEncoded(list) {
  return list.map(([name, value]) => `${percentEncode(name, FORM_SET, true)}=${percentEncode(value, FORM_SET, true)}`).join("&");
}

function toUSVString(value) {
  return String(value).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

const searchParamsOwner = new WeakMap();
const REPLACE_LIST = Symbol("replaceList");

class URLSearchParams {
  #list = [];

  constructor(init = "") {
    if (init instanceof URLSearchParams) {
      this.#list = [...init];
    } else if (isObjectLike(init) && typeof init[Symbol.iterator] === "function") {
      for (const pair of init) {
        const items = [...pair];
        if (items.length !== 2) throw new TypeError("URLSearchParams: each pair must have exactly two items");
        this.#list.push([toUSVString(items[0]), toUSVString(items[1])]);
      }
    } else if (isObjectLike(init)) {
      for (const key of Object.keys(init)) this.#list.push([toUSVString(key), toUSVString(init[key])]);
    } else {
      const text = toUSVString(init);
      this.#list = parseFormEncoded(text.startsWith("?") ? text.slice(1) : text);
    }
  }

  #update() {
    const owner = searchParamsOwner.get(this);
    if (owner !== undefined) owner.setQueryFromParams(this.#list.length ? serializeFormEncoded(this.#list) : null);
  }

  [REPLACE_LIST](list) {
    this.#list = list;
  }

  get size() {
    return this.#list.length;
  }

  append(name, value) {
    this.#list.push([toUSVString(name), toUSVString(value)]);
    this.#update();
  }

  delete(name, value = undefined) {
    const key = toUSVString(name);
    const match = value === undefined ? null : toUSVString(value);
    this.#list = this.#list.filter(([n, v]) => !(n === key && (match === null || v === match)));
    this.#update();
  }

  get(name) {
    const key = toUSVString(name);
    const found = this.#list.find(([n]) => n === key);
    return found === undefined ? null : found[1];
  }

  getAll(name) {
    const key = toUSVString(name);
    return this.#list.filter(([n]) => n === key).map(([, v]) => v);
  }

  has(name, value = undefined) {
    const key = toUSVString(name);
    const match = value === undefined ? null : toUSVString(value);
    return this.#list.some(([n, v]) => n === key && (match === null || v === match));
  }

  set(name, value) {
    const key = toUSVString(name);
    const index = this.#list.findIndex(([n]) => n === key);
    if (index === -1) this.#list.push([key, toUSVString(value)]);
    else {
      this.#list[index] = [key, toUSVString(value)];
      this.#list = this.#list.filter(([n], i) => n !== key || i <= index);
    }
    this.#update();
  }

  sort() {
    const units = (s) => Array.from(s, (ch) => ch.charCodeAt(0));
    this.#list = this.#list
      .map((pair, index) => ({ pair, index }))
      .sort((a, b) => {
        const x = a.pair[0];
        const y = b.pair[0];
        if (x === y) return a.index - b.index;
        const ux = units(x);
        const uy = units(y);
        for (let i = 0; i < Math.min(ux.length, uy.length); i++) {
          if (ux[i] !== uy[i]) return ux[i] - uy[i];
        }
        return ux.length - uy.length;
      })
      .map(({ pair }) => pair);
    this.#update();
  }

  forEach(callback, thisArg = undefined) {
    for (const [name, value] of this.#list) callback.call(thisArg, value, name, this);
  }

  *entries() {
    for (const [name, value] of this.#list) yield [name, value];
  }

  *keys() {
    for (const [name] of this.#list) yield name;
  }

  *values() {
    for (const [, value] of this.#list) yield value;
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  toString() {
    return serializeFormEncoded(this.#list);
  }

  get [Symbol.toStringTag]() {
    return "URLSearchParams";
  }
}

// ---- URL --------------------------------------------------------------------------

function parseBase(base) {
  if (base === undefined) return null;
  return parseURLRecord(base instanceof URL ? base.href : String(base), null);
}

class URL {
  #record;
  #params;

  constructor(url, base = undefined) {
    if (arguments.length === 0) throw new TypeError("URL: 1 argument required");
    this.#record = parseURLRecord(url instanceof URL ? url.href : String(url), parseBase(base));
    this.#params = new URLSearchParams(this.#record.query ?? "");
    searchParamsOwner.set(this.#params, {
      setQueryFromParams: (query) => {
        this.#record.query = query;
      },
    });
  }

  static canParse(url, base = undefined) {
    try {
      parseURLRecord(String(url), parseBase(base));
      return true;
    } catch {
      return false;
    }
  }

  static parse(url, base = undefined) {
    try {
      return new URL(url, base);
    } catch {
      return null;
    }
  }

  static createObjectURL() {
    throw new DOMException("URL.createObjectURL is not supported", "NotSupportedError");
  }

  static revokeObjectURL() {}

  #syncParams() {
    this.#params[REPLACE_LIST](parseFormEncoded(this.#record.query ?? ""));
  }

  get href() {
    return serializeURL(this.#record);
  }

  set href(value) {
    this.#record = parseURLRecord(String(value), null);
    this.#syncParams();
  }

  get origin() {
    const record = this.#record;
    if (isSpecialScheme(record.scheme) && record.scheme !== "file") {
      return `${record.scheme}://${record.host}${record.port === null ? "" : `:${record.port}`}`;
    }
    if (record.scheme === "blob") {
      try {
        return new URL(serializePath(record)).origin;
      } catch {
        return "null";
      }
    }
    return "null";
  }

  get protocol() {
    return `${this.#record.scheme}:`;
  }

  set protocol(value) {
    const match = /^([A-Za-z][A-Za-z0-9+\-.]*)/.exec(String(value));
    if (match === null) return;
    const scheme = match[1].toLowerCase();
    const record = this.#record;
    if (isSpecialScheme(scheme) !== isSpecialScheme(record.scheme)) return;
    if (scheme === "file" && (record.username || record.password || record.port !== null)) return;
    if (record.scheme === "file" && record.host === "") return;
    record.scheme = scheme;
    if (record.port !== null && SPECIAL_SCHEMES[scheme] === record.port) record.port = null;
  }

  get username() {
    return this.#record.username;
  }

  set username(value) {
    if (this.#cannotHaveCredentials()) return;
    this.#record.username = percentEncode(toUSVString(value), USERINFO_SET);
  }

  get password() {
    return this.#record.password;
  }

  set password(value) {
    if (this.#cannotHaveCredentials()) return;
    this.#record.password = percentEncode(toUSVString(value), USERINFO_SET);
  }

  #cannotHaveCredentials() {
    const record = this.#record;
    return record.host === null || record.host === "" || record.scheme === "file";
  }

  get host() {
    const record = this.#record;
    if (record.host === null) return "";
    return record.host + (record.port === null ? "" : `:${record.port}`);
  }

  set host(value) {
    this.#setHost(String(value), true);
  }

  get hostname() {
    return this.#record.host ?? "";
  }

  set hostname(value) {
    this.#setHost(String(value), false);
  }

  #setHost(value, withPort) {
    const record = this.#record;
    if (record.opaque !== null) return;
    const special = isSpecialScheme(record.scheme);
    const end = value.search(special ? /[/\\?#]/ : /[/?#]/);
    const text = end === -1 ? value : value.slice(0, end);
    const close = text.lastIndexOf("]");
    const colon = text.indexOf(":", close === -1 ? 0 : close);
    const hostText = colon === -1 ? text : text.slice(0, colon);
    if (hostText === "" && special) return;
    try {
      const host = parseHost(hostText, special, value);
      let port = record.port;
      if (withPort && colon !== -1) {
        const digits = /^[0-9]*/.exec(text.slice(colon + 1))[0];
        if (digits !== "") port = parsePort(digits, record.scheme, value);
      }
      record.host = record.scheme === "file" && host === "localhost" ? "" : host;
      record.port = port;
    } catch {
      // invalid hosts leave the URL unchanged, as the setter algorithm says
    }
  }

  get port() {
    return this.#record.port === null ? "" : String(this.#record.port);
  }

  set port(value) {
    const record = this.#record;
    if (record.host === null || record.host === "" || record.scheme === "file") return;
    const text = String(value);
    if (text === "") {
      record.port = null;
      return;
    }
    const digits = /^[0-9]*/.exec(text)[0];
    if (digits === "") return;
    try {
      record.port = parsePort(digits, record.scheme, text);
    } catch {
      // out-of-range ports leave the URL unchanged
    }
  }

  get pathname() {
    return serializePath(this.#record);
  }

  set pathname(value) {
    const record = this.#record;
    if (record.opaque !== null) return;
    const special = isSpecialScheme(record.scheme);
    const text = String(value);
    const relative = special ? text.replace(/^[/\\]/, "") : text.replace(/^\//, "");
    record.path = appendPath([], relative, special);
    if (!special && text === "") record.path = [];
  }

  get search() {
    const query = this.#record.query;
    return query === null || query === "" ? "" : `?${query}`;
  }

  set search(value) {
    const text = String(value);
    const query = text.startsWith("?") ? text.slice(1) : text;
    const special = isSpecialScheme(this.#record.scheme);
    this.#record.query = text === "" ? null : percentEncode(query, special ? SPECIAL_QUERY_SET : QUERY_SET);
    this.#syncParams();
  }

  get searchParams() {
    return this.#params;
  }

  get hash() {
    const fragment = this.#record.fragment;
    return fragment === null || fragment === "" ? "" : `#${fragment}`;
  }

  set hash(value) {
    const text = String(value);
    const fragment = text.startsWith("#") ? text.slice(1) : text;
    this.#record.fragment = text === "" ? null : percentEncode(fragment, FRAGMENT_SET);
  }

  toString() {
    return this.href;
  }

  toJSON() {
    return this.href;
  }

  get [Symbol.toStringTag]() {
    return "URL";
  }

  inspect() {
    return `URL { href: ${quoteString(this.href)} }`;
  }
}

defineGlobal("URL", URL);
defineGlobal("URLSearchParams", URLSearchParams);
