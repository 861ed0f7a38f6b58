// Reads pasted `.env` text (`NAME=value` lines, `export`, quotes, comments) into
// [{name, value}], so several variables can be added at once, as upstream allows.

const LINE = /^\s*(?:export\s+)?([A-Za-z_][\w.-]*)\s*=\s*(.*?)\s*$/;

export function parseDotenv(text) {
  const variables = [];
  for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
    const match = LINE.exec(line);
    if (match) variables.push({ name: match[1], value: unquote(match[2]) });
  }
  return variables;
}

function unquote(raw) {
  const quote = raw[0];
  if (raw.length > 1 && `"'\``.includes(quote) && raw.endsWith(quote)) {
    const inner = raw.slice(1, -1);
    return quote === '"' ? inner.replace(/\\n/g, "\n").replace(/\\r/g, "\r") : inner;
  }
  return raw.replace(/\s+#.*$/, "");
}
