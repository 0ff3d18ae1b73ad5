import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contentTypeParameter, parseMultipartRelated } from './multipart.js';

const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const recorded = JSON.parse(readFileSync(fixture('frame_crop64.json'), 'utf8'));
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('parseMultipartRelated', () => {
  it("parses Orthanc 1.10's frame answer (unquoted boundary, quoted type with parameters)", () => {
    const body = new Uint8Array(readFileSync(fixture('frame_crop64.multipart')));
    const parts = parseMultipartRelated(body, recorded.contentType);
    expect(parts).toHaveLength(1);
    expect(parts[0].headers['content-type']).toBe('application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1');
    expect(parts[0].headers['content-location']).toMatch(/\/frames\/1$/);
    expect(parts[0].body.length).toBe(64 * 64 * 2);
  });

  it('reads the boundary and type parameters', () => {
    expect(contentTypeParameter(recorded.contentType, 'boundary')).toMatch(/^[0-9a-f-]{40,}$/);
    expect(contentTypeParameter(recorded.contentType, 'type')).toBe('application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1');
    expect(contentTypeParameter('multipart/related; boundary="a b"', 'boundary')).toBe('a b');
  });

  it('splits several parts, keeps CR LF and dashes inside a payload, and ignores preamble and epilogue', () => {
    const payload = '\r\n--notit\r\nx';
    const text = `preamble\r\n--XYZ\r\nContent-Type: application/octet-stream\r\n\r\n${payload}\r\n--XYZ\r\n\r\nsecond\r\n--XYZ--\r\nepilogue`;
    const parts = parseMultipartRelated(ascii(text), 'multipart/related; type="application/octet-stream"; boundary="XYZ"');
    expect(parts.map((p) => new TextDecoder().decode(p.body))).toEqual([payload, 'second']);
    expect(parts[1].headers).toEqual({});
  });

  it('refuses what is not multipart, has no boundary, or is truncated', () => {
    expect(() => parseMultipartRelated(ascii('{}'), 'application/json')).toThrow(/expected a multipart\/related answer/);
    expect(() => parseMultipartRelated(ascii(''), 'multipart/related')).toThrow(/no boundary/);
    expect(() => parseMultipartRelated(ascii('--B\r\n\r\nabc'), 'multipart/related; boundary=B')).toThrow(/truncated/);
  });
});
