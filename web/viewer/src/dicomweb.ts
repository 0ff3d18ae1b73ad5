// A DICOMweb client for the viewer: QIDO-RS searches, WADO-RS series metadata, uncompressed frames and rendered
// thumbnails. URLs are always built from the configured root (never from the absolute URLs in the answers, which
// name the server as it sees itself). Failures become DicomWebError with a message a person can act on.
import { type DicomJson } from './dicom_json.js';
import { parseMultipartRelated } from './multipart.js';
import { stowBody, stowFailures } from './seg_series.js';

// Exactly one media type: Orthanc 1.10 transcodes compressed instances to this, and misbehaves on lists.
export const FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1';

export type DicomWebErrorKind = 'unreachable' | 'unauthorized' | 'forbidden' | 'not-found' | 'server' | 'bad-answer' | 'aborted';

export class DicomWebError extends Error {
  constructor(
    readonly kind: DicomWebErrorKind,
    message: string,
    readonly status = 0,
  ) {
    super(message);
    this.name = 'DicomWebError';
  }
}

export interface StudyQuery {
  patientName?: string;
  patientId?: string;
  studyDate?: string; // YYYYMMDD or a range YYYYMMDD-YYYYMMDD
  modality?: string;
  limit?: number;
}

export class DicomWebClient {
  readonly root: string; // ends with '/'

  constructor(root: string, private readonly fetchImpl: typeof fetch = (...args) => fetch(...args)) {
    this.root = root.endsWith('/') ? root : `${root}/`;
  }

  async searchStudies(query: StudyQuery = {}, signal?: AbortSignal): Promise<DicomJson[]> {
    const params = new URLSearchParams();
    params.set('limit', String(query.limit ?? 100));
    for (const field of ['00081030', '00080061', '00201206', '00201208']) params.append('includefield', field);
    const wildcard = (s: string) => (/[*?]/.test(s) ? s : `*${s}*`);
    if (query.patientName?.trim()) params.set('PatientName', wildcard(query.patientName.trim()));
    if (query.patientId?.trim()) params.set('PatientID', wildcard(query.patientId.trim()));
    if (query.studyDate?.trim()) params.set('StudyDate', query.studyDate.trim().replaceAll('-', '').replace(/^(\d{8})(\d{8})$/, '$1-$2'));
    if (query.modality?.trim()) params.set('ModalitiesInStudy', query.modality.trim().toUpperCase());
    return this.json(`studies?${params}`, 'the study list', signal);
  }

  async study(studyUid: string, signal?: AbortSignal): Promise<DicomJson | undefined> {
    const found = await this.json(`studies?StudyInstanceUID=${encodeURIComponent(studyUid)}&includefield=00081030`, 'the study', signal);
    return found[0];
  }

  async listSeries(studyUid: string, signal?: AbortSignal): Promise<DicomJson[]> {
    return this.json(`studies/${enc(studyUid)}/series?includefield=0008103E`, 'the series of the study', signal);
  }

  // Instance-level QIDO lacks geometry (Orthanc): the series metadata has every attribute of each instance.
  async seriesMetadata(studyUid: string, seriesUid: string, signal?: AbortSignal): Promise<DicomJson[]> {
    return this.json(`studies/${enc(studyUid)}/series/${enc(seriesUid)}/metadata`, 'the series metadata', signal);
  }

  // The first part of a frame request: the frame's pixel bytes, uncompressed, little endian.
  async fetchFrame(studyUid: string, seriesUid: string, instanceUid: string, frame = 1, signal?: AbortSignal): Promise<Uint8Array> {
    const path = `studies/${enc(studyUid)}/series/${enc(seriesUid)}/instances/${enc(instanceUid)}/frames/${frame}`;
    const response = await this.get(path, FRAME_ACCEPT, 'a frame', signal);
    const body = await this.bytes(response, 'a frame', signal);
    let parts;
    try {
      parts = parseMultipartRelated(body, response.headers.get('Content-Type') ?? '');
    } catch (error) {
      throw new DicomWebError('bad-answer', `The PACS answered a frame request with something unexpected: ${(error as Error).message}.`);
    }
    if (parts.length === 0) throw new DicomWebError('bad-answer', 'The PACS answered a frame request with no frame.');
    return parts[0].body;
  }

  // A rendered JPEG of an instance (WADO-RS /rendered), as a Blob for an <img>.
  async renderedThumbnail(studyUid: string, seriesUid: string, instanceUid: string, signal?: AbortSignal): Promise<Blob> {
    const path = `studies/${enc(studyUid)}/series/${enc(seriesUid)}/instances/${enc(instanceUid)}/rendered?viewport=96,96`;
    const response = await this.get(path, 'image/jpeg', 'a thumbnail', signal);
    return response.blob();
  }

  // A whole instance as its Part-10 file (WADO-RS, PS3.18 10.4): the first part of the multipart answer.
  async retrieveInstance(studyUid: string, seriesUid: string, instanceUid: string, signal?: AbortSignal): Promise<Uint8Array> {
    const path = `studies/${enc(studyUid)}/series/${enc(seriesUid)}/instances/${enc(instanceUid)}`;
    const response = await this.get(path, 'multipart/related; type="application/dicom"', 'the instance', signal);
    const body = await this.bytes(response, 'the instance', signal);
    let parts;
    try {
      parts = parseMultipartRelated(body, response.headers.get('Content-Type') ?? '');
    } catch (error) {
      throw new DicomWebError('bad-answer', `The PACS answered an instance request with something unexpected: ${(error as Error).message}.`);
    }
    if (parts.length === 0) throw new DicomWebError('bad-answer', 'The PACS answered an instance request with no instance.');
    return parts[0].body;
  }

  // STOW-RS (PS3.18 10.5): POST {root}/studies/{study} with the instances as application/dicom parts. The only
  // request of the viewer that sends data, made on the user's explicit "Save to PACS". Resolves with the server's
  // answer; a refused instance (FailedSOPSequence) is an error.
  async store(studyUid: string, instances: readonly Uint8Array[], signal?: AbortSignal): Promise<unknown> {
    const boundary = `cairn-${crypto.randomUUID()}`;
    const url = `${this.root}studies/${enc(studyUid)}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: 'POST',
        headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, Accept: 'application/dicom+json' },
        body: stowBody(instances, boundary) as BodyInit,
        signal,
        credentials: 'same-origin',
      });
    } catch (error) {
      if (signal?.aborted) throw new DicomWebError('aborted', 'Saving to the PACS was cancelled.');
      throw new DicomWebError('unreachable', `The PACS at ${this.root} cannot be reached to save the segmentation (${(error as Error).message}).`);
    }
    const text = await response.text().catch(() => '');
    let answer: unknown = null;
    try {
      answer = text.trim() === '' ? null : JSON.parse(text);
    } catch {
      answer = null;
    }
    if (!response.ok) {
      if (response.status === 401 || response.status === 403) {
        throw new DicomWebError(response.status === 401 ? 'unauthorized' : 'forbidden',
          `The PACS refused to store the segmentation (HTTP ${response.status}): your account may not write to it.`, response.status);
      }
      const failed = answer === null ? [] : stowFailures(answer);
      throw new DicomWebError(response.status >= 500 ? 'server' : 'bad-answer',
        `The PACS refused to store the segmentation (HTTP ${response.status})${failed.length ? `: ${failed.join(', ')}` : ''}${text && !failed.length ? `: ${text.slice(0, 200)}` : ''}.`,
        response.status);
    }
    const failed = answer === null ? [] : stowFailures(answer);
    if (failed.length > 0) throw new DicomWebError('bad-answer', `The PACS did not store ${failed.join(', ')}.`, response.status);
    return answer;
  }

  private async json(path: string, what: string, signal?: AbortSignal): Promise<DicomJson[]> {
    const response = await this.get(path, 'application/dicom+json', what, signal);
    const text = new TextDecoder().decode(await this.bytes(response, what, signal));
    if (text.trim() === '') return []; // 204 No Content: nothing matched
    try {
      const parsed = JSON.parse(text) as unknown;
      if (!Array.isArray(parsed)) throw new Error('not a JSON array');
      if (!parsed.every((item) => item !== null && typeof item === 'object' && !Array.isArray(item))) {
        throw new Error('an item of the array is not a JSON object');
      }
      return parsed as DicomJson[];
    } catch (error) {
      throw new DicomWebError('bad-answer', `The PACS answered ${what} with something that is not DICOM JSON (${(error as Error).message}).`);
    }
  }

  // The body of an answer; a connection lost while it arrives (the PACS stopped mid-answer) is 'unreachable'.
  private async bytes(response: Response, what: string, signal?: AbortSignal): Promise<Uint8Array> {
    try {
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      if (signal?.aborted) throw new DicomWebError('aborted', `Loading ${what} was cancelled.`);
      throw new DicomWebError('unreachable', `The connection to the PACS at ${this.root} was lost while loading ${what} (${(error as Error).message}). Check that it is running.`);
    }
  }

  private async get(path: string, accept: string, what: string, signal?: AbortSignal): Promise<Response> {
    const url = this.root + path;
    let response: Response;
    try {
      response = await this.fetchImpl(url, { headers: { Accept: accept }, signal, credentials: 'same-origin' });
    } catch (error) {
      if (signal?.aborted) throw new DicomWebError('aborted', `Loading ${what} was cancelled.`);
      throw new DicomWebError(
        'unreachable',
        `The PACS at ${this.root} cannot be reached while loading ${what} (${(error as Error).message}). Check that it is running, that this address is right, and, for another server than this one, that it is allowed (the Cairn plugin's ConnectSrc).`,
      );
    }
    if (response.ok) return response;
    throw statusError(response.status, what, this.root);
  }
}

export function statusError(status: number, what: string, root: string): DicomWebError {
  if (status === 401) {
    return new DicomWebError('unauthorized', `The PACS asks for a login to read ${what} (HTTP 401). Sign in to ${root} and reload.`, status);
  }
  if (status === 403) {
    return new DicomWebError('forbidden', `Your account may not read ${what} on this PACS (HTTP 403). Ask its administrator for access.`, status);
  }
  if (status === 404) {
    return new DicomWebError('not-found', `The PACS has no ${what.replace(/^(the|a) /, '')} at this address (HTTP 404): it may have been deleted, or the DICOMweb root ${root} is wrong.`, status);
  }
  if (status >= 500) {
    return new DicomWebError('server', `The PACS failed while answering ${what} (HTTP ${status}). Try again; if it persists, its log says why.`, status);
  }
  return new DicomWebError('bad-answer', `The PACS refused the request for ${what} (HTTP ${status}).`, status);
}

function enc(uid: string): string {
  return encodeURIComponent(uid);
}
