// multipart/related bodies (RFC 2387) as WADO-RS answers frames: parts split on the boundary of the Content-Type,
// each with its headers and its bytes (views into the body, no copies).
export interface MultipartPart {
  headers: Record<string, string>; // lower-case names
  body: Uint8Array;
}

export class MultipartError extends Error {}

// The value of one parameter of a Content-Type (quoted or not), or undefined.
export function contentTypeParameter(contentType: string, name: string): string | undefined {
  const re = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i');
  const m = re.exec(contentType);
  return m === null ? undefined : (m[1] ?? m[2]);
}

export function parseMultipartRelated(body: Uint8Array, contentType: string): MultipartPart[] {
  if (!/^\s*multipart\/related\b/i.test(contentType)) {
    throw new MultipartError(`expected a multipart/related answer, got '${contentType || 'no Content-Type'}'`);
  }
  const boundary = contentTypeParameter(contentType, 'boundary');
  if (!boundary) throw new MultipartError(`the multipart/related answer has no boundary: '${contentType}'`);
  const delimiter = ascii(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let at = indexOf(body, delimiter, 0);
  if (at < 0) throw new MultipartError('the multipart/related body has no part (its boundary was not found)');
  for (;;) {
    let start = at + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break; // "--": the closing delimiter
    start = skipLine(body, start); // transport padding and CRLF after the delimiter
    // Headers end with an empty line; a part without headers starts with it.
    const noHeaders = body[start] === 0x0d && body[start + 1] === 0x0a;
    const headerEnd = noHeaders ? start : indexOf(body, CRLFCRLF, start);
    if (headerEnd < 0) throw new MultipartError('a part of the multipart/related body has no end of headers');
    const headers = parseHeaders(new TextDecoder('latin1').decode(body.subarray(start, headerEnd)));
    const bodyStart = noHeaders ? start + 2 : headerEnd + 4;
    // The next delimiter is preceded by CRLF, which belongs to it (RFC 2046).
    const next = indexOf(body, concat(CRLF, delimiter), bodyStart);
    if (next < 0) throw new MultipartError('the multipart/related body ends inside a part (truncated answer?)');
    parts.push({ headers, body: body.subarray(bodyStart, next) });
    at = next + 2;
  }
  return parts;
}

const CRLF = ascii('\r\n');
const CRLFCRLF = ascii('\r\n\r\n');

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (text === '') return headers;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function skipLine(body: Uint8Array, from: number): number {
  for (let i = from; i + 1 < body.length; ++i) if (body[i] === 0x0d && body[i + 1] === 0x0a) return i + 2;
  return body.length;
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// First index of `needle` in `haystack` at or after `from`, or -1. Bodies are one frame (hundreds of KiB): a simple
// scan on the first byte is fast enough.
export function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = haystack.length - needle.length;
  outer: for (let i = haystack.indexOf(first, from); i !== -1 && i <= last; i = haystack.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; ++j) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
