// UTF-8 TextEncoder/TextDecoder and base64 (atob/btoa, and the byte helpers the
// bridge payloads use). Bare V8 has none of them.

function utf8Encode(input) {
  const text = String(input);
  const out = new Uint8Array(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if ((next & 0xfc00) === 0xdc00) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else code = 0xfffd;
    } else if (code >= 0xdc00 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x80) out[n++] = code;
    else if (code < 0x800) {
      out[n++] = 0xc0 | (code >> 6);
      out[n++] = 0x80 | (code & 0x3f);
    } else if (code < 0x10000) {
      out[n++] = 0xe0 | (code >> 12);
      out[n++] = 0x80 | ((code >> 6) & 0x3f);
      out[n++] = 0x80 | (code & 0x3f);
    } else {
      out[n++] = 0xf0 | (code >> 18);
      out[n++] = 0x80 | ((code >> 12) & 0x3f);
      out[n++] = 0x80 | ((code >> 6) & 0x3f);
      out[n++] = 0x80 | (code & 0x3f);
    }
  }
  return out.slice(0, n);
}

// Decode UTF-8 following the WHATWG decoder (maximal subpart replacement). Returns
// the text and how many trailing bytes form an incomplete sequence (for streaming).
function utf8Decode(bytes, fatal, stream) {
  const parts = [];
  let chunk = [];
  let i = 0;
  const fail = () => {
    if (fatal) throw new TypeError("The encoded data was not valid for encoding utf-8");
    chunk.push(0xfffd);
  };
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      chunk.push(b);
      i++;
    } else {
      let need = 0;
      let code = 0;
      let lower = 0x80;
      let upper = 0xbf;
      if (b >= 0xc2 && b <= 0xdf) { need = 1; code = b & 0x1f; }
      else if (b >= 0xe0 && b <= 0xef) {
        need = 2; code = b & 0x0f;
        if (b === 0xe0) lower = 0xa0;
        if (b === 0xed) upper = 0x9f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3; code = b & 0x07;
        if (b === 0xf0) lower = 0x90;
        if (b === 0xf4) upper = 0x8f;
      } else {
        fail();
        i++;
        continue;
      }
      let j = 1;
      let ok = true;
      for (; j <= need; j++) {
        if (i + j >= bytes.length) {
          if (stream) {
            flushChunk(parts, chunk);
            return { text: parts.join(""), pending: bytes.length - i };
          }
          ok = false;
          break;
        }
        const c = bytes[i + j];
        const lo = j === 1 ? lower : 0x80;
        const hi = j === 1 ? upper : 0xbf;
        if (c < lo || c > hi) {
          ok = false;
          break;
        }
        code = (code << 6) | (c & 0x3f);
      }
      if (!ok) {
        fail();
        i += j;
        continue;
      }
      if (code >= 0x10000) {
        code -= 0x10000;
        chunk.push(0xd800 + (code >> 10), 0xdc00 + (code & 0x3ff));
      } else chunk.push(code);
      i += need + 1;
    }
    if (chunk.length > 8192) flushChunk(parts, chunk);
  }
  flushChunk(parts, chunk);
  return { text: parts.join(""), pending: 0 };

  function flushChunk(into, codes) {
    if (codes.length) into.push(String.fromCharCode.apply(null, codes));
    chunk = [];
  }
}

function toUint8Array(input, what) {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && input instanceof SharedArrayBuffer)) {
    return new Uint8Array(input);
  }
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError(`${what}: expected an ArrayBuffer or an ArrayBufferView`);
}

class TextEncoder {
  get encoding() {
    return "utf-8";
  }

  encode(input = "") {
    return utf8Encode(input);
  }

  encodeInto(source, destination) {
    const text = String(source);
    let read = 0;
    let written = 0;
    for (const ch of text) {
      const bytes = utf8Encode(ch);
      if (written + bytes.length > destination.length) break;
      destination.set(bytes, written);
      written += bytes.length;
      read += ch.length;
    }
    return { read, written };
  }
}

const UTF8_LABELS = new Set(["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"]);

class TextDecoder {
  #fatal;
  #ignoreBOM;
  #pending = new Uint8Array(0);
  #bomSeen = false;

  constructor(label = "utf-8", options = {}) {
    if (!UTF8_LABELS.has(String(label).trim().toLowerCase())) {
      throw new RangeError(`TextDecoder: the encoding "${label}" is not supported (only utf-8)`);
    }
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
  }

  get encoding() { return "utf-8"; }
  get fatal() { return this.#fatal; }
  get ignoreBOM() { return this.#ignoreBOM; }

  decode(input, options = {}) {
    const stream = Boolean(options?.stream);
    let bytes = input === undefined ? new Uint8Array(0) : toUint8Array(input, "TextDecoder.decode");
    if (this.#pending.length) {
      const joined = new Uint8Array(this.#pending.length + bytes.length);
      joined.set(this.#pending);
      joined.set(bytes, this.#pending.length);
      bytes = joined;
    }
    const { text, pending } = utf8Decode(bytes, this.#fatal, stream);
    this.#pending = pending ? bytes.slice(bytes.length - pending) : new Uint8Array(0);
    let out = text;
    if (!this.#ignoreBOM && !this.#bomSeen && out.length > 0) {
      if (out.charCodeAt(0) === 0xfeff) out = out.slice(1);
      this.#bomSeen = true;
    }
    if (!stream) this.#bomSeen = false;
    return out;
  }
}

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < BASE64_ALPHABET.length; i++) BASE64_LOOKUP[BASE64_ALPHABET.charCodeAt(i)] = i;

function bytesToBase64(bytes) {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += BASE64_ALPHABET[n >> 18] + BASE64_ALPHABET[(n >> 12) & 63] + BASE64_ALPHABET[(n >> 6) & 63] + BASE64_ALPHABET[n & 63];
  }
  if (i < bytes.length) {
    const rest = bytes.length - i;
    const n = (bytes[i] << 16) | (rest === 2 ? bytes[i + 1] << 8 : 0);
    out += BASE64_ALPHABET[n >> 18] + BASE64_ALPHABET[(n >> 12) & 63];
    out += rest === 2 ? `${BASE64_ALPHABET[(n >> 6) & 63]}=` : "==";
  }
  return out;
}

// Forgiving-base64 decode (WHATWG): ASCII whitespace ignored, padding optional.
// Returns null when the input is not valid base64.
function forgivingBase64Decode(input) {
  let data = String(input).replace(/[\t\n\f\r ]/g, "");
  if (data.length % 4 === 0) data = data.replace(/={1,2}$/, "");
  if (data.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(data)) return null;
  const out = new Uint8Array(Math.floor((data.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    buffer = (buffer << 6) | BASE64_LOOKUP[data.charCodeAt(i)];
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (buffer >> bits) & 0xff;
    }
  }
  return out.slice(0, n);
}

function base64ToBytes(input) {
  const bytes = forgivingBase64Decode(input);
  if (bytes === null) throw new TypeError("invalid base64 payload from the host");
  return bytes;
}

function btoa(data) {
  if (arguments.length === 0) throw new TypeError("btoa: 1 argument required");
  const text = String(data);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new DOMException("Invalid character", "InvalidCharacterError");
    bytes[i] = code;
  }
  return bytesToBase64(bytes);
}

function atob(data) {
  if (arguments.length === 0) throw new TypeError("atob: 1 argument required");
  const bytes = forgivingBase64Decode(data);
  if (bytes === null) {
    throw new DOMException("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
  }
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  }
  return out;
}

defineGlobal("TextEncoder", TextEncoder);
defineGlobal("TextDecoder", TextDecoder);
defineGlobal("atob", atob);
defineGlobal("btoa", btoa);
