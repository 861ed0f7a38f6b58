// Document ids (convexlite/values/ids.py): lowercase Crockford base32 of the table number
// as a VInt, 16 random bytes and a Fletcher-16 footer. Only the table number is needed
// here, to link an id to its table; anything that is not a well-formed id is not one.
// The footer is Adler-32 started at 0 (as ids.py computes it), its sums mod 256.

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const BYTES_FOR_LENGTH = { 31: 19, 32: 20, 34: 21, 36: 22, 37: 23 };
const INTERNAL_ID_LENGTH = 16;

function base32Bytes(text, size) {
  let n = 0n;
  for (const c of text) {
    const digit = ALPHABET.indexOf(c);
    if (digit < 0) return null;
    n = (n << 5n) | BigInt(digit);
  }
  const pad = BigInt(text.length * 5 - size * 8);
  if (n & ((1n << pad) - 1n)) return null;
  n >>= pad;
  const bytes = new Array(size);
  for (let i = size - 1; i >= 0; i -= 1, n >>= 8n) bytes[i] = Number(n & 0xffn);
  return bytes;
}

// The table number of a document id, or null for a string that is not one.
export function tableNumberOfId(text) {
  if (typeof text !== "string") return null;
  const size = BYTES_FOR_LENGTH[text.length];
  const bytes = size === undefined ? null : base32Bytes(text, size);
  if (bytes === null) return null;
  let table = 0;
  let position = 0;
  for (let shift = 0; ; shift += 7) {
    if (position >= 5) return null;
    const byte = bytes[position++];
    table += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  const end = position + INTERNAL_ID_LENGTH;
  if (table === 0 || end + 2 !== size) return null;
  let sum1 = 0;
  let sum2 = 0;
  for (const byte of bytes.slice(0, end)) {
    sum1 = (sum1 + byte) % 65521;
    sum2 = (sum2 + sum1) % 65521;
  }
  return bytes[end] === (sum1 & 0xff) && bytes[end + 1] === (sum2 & 0xff) ? table : null;
}
