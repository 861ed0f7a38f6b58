// crypto.subtle and CryptoKey (Web Crypto), performed by the host: each method sends one
// synchronous `__crypto` request, answered by convexlite/js/webcrypto with Python's
// `cryptography`. A CryptoKey keeps the host's key record (type, extractable, algorithm,
// usages and the key material in a canonical encoding) in a WeakMap user code cannot
// reach, so keys need no host-side lifetime. Queries and mutations get no cryptographic
// randomness, as upstream: generateKey and the randomized signatures (ECDSA, RSA-PSS)
// are refused there and at import time; everything else works in every function.

const cryptoKeys = new WeakMap();
const KEY_FORMATS = new Set(["raw", "spki", "pkcs8", "jwk"]);
const KEY_USAGES = new Set(["encrypt", "decrypt", "sign", "verify", "deriveKey", "deriveBits", "wrapKey", "unwrapKey"]);
const ALGORITHM_MEMBERS = [
  "name", "hash", "namedCurve", "modulusLength", "publicExponent", "saltLength", "length",
  "iv", "additionalData", "tagLength", "salt", "info", "iterations",
];

function cryptoRandomnessRefusal() {
  if (inImportPhase()) {
    return "Can't use cryptographic randomness at import time (move the call into a function handler)";
  }
  if (isQueryOrMutation()) {
    return "Can't use cryptographic randomness in queries and mutations. Please consider using an action. See https://docs.convex.dev/functions/actions for more details.";
  }
  return null;
}

function isBufferSource(value) {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

function bufferBase64(value, what) {
  if (value instanceof ArrayBuffer) return bytesToBase64(new Uint8Array(value));
  if (ArrayBuffer.isView(value)) return bytesToBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  throw new TypeError(`${what} must be an ArrayBuffer or an ArrayBufferView`);
}

// The algorithm as the host reads it: a name, or the members it knows (BufferSources
// as {$bytes}); hashes may be names or {name}.
function algorithmJson(algorithm) {
  if (typeof algorithm === "string") return algorithm;
  if (!isObjectLike(algorithm)) throw new TypeError("An algorithm must be a string or an object");
  const out = {};
  for (const member of ALGORITHM_MEMBERS) {
    const value = algorithm[member];
    if (value === undefined) continue;
    if (isBufferSource(value)) out[member] = { $bytes: bufferBase64(value, member) };
    else if (member === "hash" && isObjectLike(value)) out[member] = { name: value.name };
    else out[member] = value;
  }
  return out;
}

function keyFormat(format) {
  const text = String(format);
  if (!KEY_FORMATS.has(text)) throw new TypeError(`'${text}' is not a valid key format`);
  return text;
}

function usageList(usages) {
  if (!isObjectLike(usages) || typeof usages[Symbol.iterator] !== "function") {
    throw new TypeError("keyUsages must be a sequence of key usages");
  }
  const list = [];
  for (const usage of usages) {
    const text = String(usage);
    if (!KEY_USAGES.has(text)) throw new TypeError(`'${text}' is not a valid key usage`);
    if (!list.includes(text)) list.push(text);
  }
  return list;
}

function hostCrypto(op, fields) {
  const answer = JSON.parse(hostBridge("__crypto", JSON.stringify({ op, ...fields })));
  if (answer.error === undefined) return answer.ok;
  const { name, message } = answer.error;
  if (name === "Error") throw new Error(message);
  if (name === "TypeError") throw new TypeError(message);
  throw new DOMException(message, name);
}

function hostBuffer(base64) {
  return base64ToBytes(base64).buffer;
}

function keyRecord(key, what) {
  const slot = isObjectLike(key) ? cryptoKeys.get(key) : undefined;
  if (slot === undefined) throw new TypeError(`${what} must be a CryptoKey`);
  return slot.record;
}

// The CryptoKey `algorithm` dictionary of a host record: bytes become Uint8Arrays.
function algorithmObject(json) {
  const out = {};
  for (const [member, value] of Object.entries(json)) {
    if (isObjectLike(value) && typeof value.$bytes === "string") out[member] = base64ToBytes(value.$bytes);
    else out[member] = isObjectLike(value) ? { ...value } : value;
  }
  return out;
}

class CryptoKey {
  constructor(key) {
    if (key !== PRELUDE_URL) throw new TypeError("Illegal constructor");
  }

  get type() {
    return keyRecord(this, "this").type;
  }

  get extractable() {
    return keyRecord(this, "this").extractable;
  }

  get algorithm() {
    keyRecord(this, "this");
    return cryptoKeys.get(this).algorithm;
  }

  get usages() {
    keyRecord(this, "this");
    return cryptoKeys.get(this).usages;
  }

  get [Symbol.toStringTag]() {
    return "CryptoKey";
  }
}

function newCryptoKey(record) {
  const key = new CryptoKey(PRELUDE_URL);
  cryptoKeys.set(key, { record, algorithm: algorithmObject(record.algorithm), usages: [...record.usages] });
  return key;
}

// CryptoKeys are serializable: a clone is a new CryptoKey of the same record.
function cloneCryptoKey(key) {
  return newCryptoKey(keyRecord(key, "key"));
}

function keyOrPair(answer) {
  if (answer.publicKey === undefined) return newCryptoKey(answer);
  return { publicKey: newCryptoKey(answer.publicKey), privateKey: newCryptoKey(answer.privateKey) };
}

// The bit length of a key deriveKey makes (Web Crypto "get key length").
function derivedKeyLength(algorithm) {
  const name = String(isObjectLike(algorithm) ? algorithm.name : algorithm).toUpperCase();
  if (name.startsWith("AES-") && isObjectLike(algorithm)) return algorithm.length;
  if (name === "HMAC" && isObjectLike(algorithm)) {
    if (algorithm.length !== undefined) return algorithm.length;
    const hash = String(isObjectLike(algorithm.hash) ? algorithm.hash.name : algorithm.hash).toUpperCase();
    return hash === "SHA-384" || hash === "SHA-512" ? 1024 : 512;
  }
  throw new DOMException(`deriveKey cannot derive a ${name} key`, "NotSupportedError");
}

class SubtleCrypto {
  constructor(key) {
    if (key !== PRELUDE_URL) throw new TypeError("Illegal constructor");
  }

  async digest(algorithm, data) {
    return hostBuffer(hostCrypto("digest", { algorithm: algorithmJson(algorithm), data: bufferBase64(data, "data") }));
  }

  async importKey(format, keyData, algorithm, extractable, keyUsages) {
    const fmt = keyFormat(format);
    if (fmt === "jwk" && !isObjectLike(keyData)) throw new TypeError("A JWK must be an object");
    const data = fmt === "jwk" ? JSON.parse(JSON.stringify(keyData)) : bufferBase64(keyData, "keyData");
    return newCryptoKey(hostCrypto("importKey", {
      format: fmt,
      keyData: data,
      algorithm: algorithmJson(algorithm),
      extractable: Boolean(extractable),
      usages: usageList(keyUsages),
    }));
  }

  async exportKey(format, key) {
    const fmt = keyFormat(format);
    const exported = hostCrypto("exportKey", { format: fmt, key: keyRecord(key, "key") });
    return fmt === "jwk" ? exported : hostBuffer(exported);
  }

  async generateKey(algorithm, extractable, keyUsages) {
    return keyOrPair(hostCrypto("generateKey", {
      algorithm: algorithmJson(algorithm),
      extractable: Boolean(extractable),
      usages: usageList(keyUsages),
      refusal: cryptoRandomnessRefusal(),
    }));
  }

  async sign(algorithm, key, data) {
    return hostBuffer(hostCrypto("sign", {
      algorithm: algorithmJson(algorithm),
      key: keyRecord(key, "key"),
      data: bufferBase64(data, "data"),
      refusal: cryptoRandomnessRefusal(),
    }));
  }

  async verify(algorithm, key, signature, data) {
    return hostCrypto("verify", {
      algorithm: algorithmJson(algorithm),
      key: keyRecord(key, "key"),
      signature: bufferBase64(signature, "signature"),
      data: bufferBase64(data, "data"),
    });
  }

  async encrypt(algorithm, key, data) {
    const fields = { algorithm: algorithmJson(algorithm), key: keyRecord(key, "key"), data: bufferBase64(data, "data") };
    return hostBuffer(hostCrypto("encrypt", fields));
  }

  async decrypt(algorithm, key, data) {
    const fields = { algorithm: algorithmJson(algorithm), key: keyRecord(key, "key"), data: bufferBase64(data, "data") };
    return hostBuffer(hostCrypto("decrypt", fields));
  }

  async deriveBits(algorithm, baseKey, length = null) {
    return hostBuffer(hostCrypto("deriveBits", {
      algorithm: algorithmJson(algorithm),
      key: keyRecord(baseKey, "baseKey"),
      length,
      usage: "deriveBits",
    }));
  }

  async deriveKey(algorithm, baseKey, derivedKeyAlgorithm, extractable, keyUsages) {
    const bits = hostCrypto("deriveBits", {
      algorithm: algorithmJson(algorithm),
      key: keyRecord(baseKey, "baseKey"),
      length: derivedKeyLength(derivedKeyAlgorithm),
      usage: "deriveKey",
    });
    return this.importKey("raw", base64ToBytes(bits), derivedKeyAlgorithm, extractable, keyUsages);
  }

  get [Symbol.toStringTag]() {
    return "SubtleCrypto";
  }
}

const subtle = new SubtleCrypto(PRELUDE_URL);

defineGlobal("CryptoKey", CryptoKey);
defineGlobal("SubtleCrypto", SubtleCrypto);
