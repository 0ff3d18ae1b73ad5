import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tag, str } from './dicom_json.js';
import { DicomWebClient, DicomWebError, FRAME_ACCEPT } from './dicomweb.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const recorded = JSON.parse(fixture('frame_crop64.json').toString());
const STUDY = '1.3.6.1.4.1.14519.5.2.1.6279.6001.298806137288633453246975630178';

// A fetch that answers from the recorded Orthanc responses and records what was asked.
function fakeFetch(answer: (url: string) => Response) {
  const calls: { url: string; accept: string }[] = [];
  const f = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, accept: new Headers(init?.headers).get('Accept') ?? '' });
    return answer(url);
  }) as typeof fetch;
  return { f, calls };
}

describe('DicomWebClient', () => {
  it('searches studies with wildcards, date ranges and modality, and reads the answer', async () => {
    const { f, calls } = fakeFetch(() => new Response(fixture('qido_studies.json')));
    const client = new DicomWebClient('http://pacs/dicom-web', f);
    const studies = await client.searchStudies({ patientName: 'doe', patientId: 'LIDC*', studyDate: '2000-01-01-2000-12-31', modality: 'ct' });
    const url = new URL(calls[0].url);
    expect(url.pathname).toBe('/dicom-web/studies');
    expect(url.searchParams.get('PatientName')).toBe('*doe*');
    expect(url.searchParams.get('PatientID')).toBe('LIDC*');
    expect(url.searchParams.get('StudyDate')).toBe('20000101-20001231');
    expect(url.searchParams.get('ModalitiesInStudy')).toBe('CT');
    expect(calls[0].accept).toBe('application/dicom+json');
    expect(studies).toHaveLength(1);
    expect(str(studies[0], Tag.PatientID)).toBe('LIDC-IDRI-0001');
    expect(str(studies[0], Tag.StudyInstanceUID)).toBe(STUDY);
  });

  it('builds series and metadata URLs from its own root, not from the answers', async () => {
    const { f, calls } = fakeFetch((url) => new Response(fixture(url.endsWith('/metadata') ? 'series_metadata.json' : 'qido_series.json')));
    const client = new DicomWebClient('/other/root/', f);
    const series = await client.listSeries(STUDY);
    const seriesUid = str(series[0], Tag.SeriesInstanceUID);
    const metadata = await client.seriesMetadata(STUDY, seriesUid);
    expect(calls[1].url).toBe(`/other/root/studies/${STUDY}/series/${seriesUid}/metadata`);
    expect(metadata).toHaveLength(3);
    expect(str(series[0], Tag.Modality)).toBe('CT');
  });

  it('asks for frames with exactly the one uncompressed media type, and returns the pixel bytes', async () => {
    const { f, calls } = fakeFetch(() => new Response(fixture('frame_crop64.multipart'), { headers: { 'Content-Type': recorded.contentType } }));
    const bytes = await new DicomWebClient('http://pacs/dicom-web/', f).fetchFrame(STUDY, '1.2', recorded.instance);
    expect(calls[0].accept).toBe('multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1');
    expect(FRAME_ACCEPT).toBe(calls[0].accept);
    expect(calls[0].url).toBe(`http://pacs/dicom-web/studies/${STUDY}/series/1.2/instances/${recorded.instance}/frames/1`);
    expect(bytes.length).toBe(64 * 64 * 2);
  });

  it('turns failures into messages a person can act on', async () => {
    const cases: [number | 'network', RegExp, string][] = [
      ['network', /cannot be reached/, 'unreachable'],
      [401, /asks for a login.*HTTP 401/, 'unauthorized'],
      [403, /may not read.*HTTP 403/, 'forbidden'],
      [404, /has no .*HTTP 404/, 'not-found'],
      [500, /failed while answering.*HTTP 500/, 'server'],
    ];
    for (const [status, message, kind] of cases) {
      const f = (async () => {
        if (status === 'network') throw new TypeError('Failed to fetch');
        return new Response('', { status });
      }) as typeof fetch;
      const error = await new DicomWebClient('http://pacs/', f).listSeries(STUDY).catch((e) => e);
      expect(error).toBeInstanceOf(DicomWebError);
      expect(error.kind).toBe(kind);
      expect(error.message).toMatch(message);
    }
    const html = (async () => new Response('<html>login</html>')) as typeof fetch;
    await expect(new DicomWebClient('http://pacs/', html).listSeries(STUDY)).rejects.toThrow(/not DICOM JSON/);
    const notMultipart = (async () => new Response('{}', { headers: { 'Content-Type': 'application/json' } })) as typeof fetch;
    await expect(new DicomWebClient('http://pacs/', notMultipart).fetchFrame(STUDY, '1', '2')).rejects.toThrow(/something unexpected/);
  });

  it('reports a connection lost in the middle of an answer as unreachable', async () => {
    const cut = (async () => new Response(new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('--x\r\n'));
        controller.error(new TypeError('network error'));
      },
    }), { headers: { 'Content-Type': 'multipart/related; boundary=x' } })) as typeof fetch;
    const error = await new DicomWebClient('http://pacs/', cut).fetchFrame(STUDY, '1', '2').catch((e) => e);
    expect(error).toBeInstanceOf(DicomWebError);
    expect(error.kind).toBe('unreachable');
    expect(error.message).toMatch(/connection to the PACS at http:\/\/pacs\/ was lost while loading a frame \(network error\)/);
    await expect(new DicomWebClient('http://pacs/', cut).listSeries(STUDY)).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('reads an empty answer (204) as no match', async () => {
    const f = (async () => new Response(null, { status: 204 })) as typeof fetch;
    expect(await new DicomWebClient('http://pacs/', f).searchStudies()).toEqual([]);
  });
});
