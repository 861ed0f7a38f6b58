// crypto.getRandomValues / randomUUID drawn from the phase's generator: seeded by the
// host in every phase, so reproducible in queries and mutations (functions.md §3.5).
// crypto.subtle is the host's (subtle.js).

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

function randomBytes(length) {
  const rng = currentRng();
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    let word = rng.nextU32();
    for (let j = i; j < Math.min(i + 4, length); j++) {
      bytes[j] = word & 0xff;
      word >>>= 8;
    }
  }
  return bytes;
}

class Crypto {
  constructor(key) {
    if (key !== PRELUDE_URL) throw new TypeError("Illegal constructor");
  }

  getRandomValues(array) {
    if (!INTEGER_ARRAYS.some((Type) => array instanceof Type)) {
      throw new DOMException("getRandomValues: the array must be an integer typed array", "TypeMismatchError");
    }
    if (array.byteLength > 65536) {
      throw new DOMException(
        `getRandomValues: ArrayBufferView byte length (${array.byteLength}) exceeds 65536`,
        "QuotaExceededError",
      );
    }
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(randomBytes(array.byteLength));
    return array;
  }

  randomUUID() {
    const bytes = randomBytes(16);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  get subtle() {
    return subtle;
  }

  get [Symbol.toStringTag]() {
    return "Crypto";
  }
}

defineGlobal("Crypto", Crypto);
defineGlobal("crypto", new Crypto(PRELUDE_URL));
