// Reading attributes from the DICOM JSON model (PS3.18 F.2) that QIDO-RS and WADO-RS /metadata answer with.
export type DicomJson = Record<string, { vr?: string; Value?: unknown[]; BulkDataURI?: string } | undefined>;

export const Tag = {
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  StudyDate: '00080020',
  AccessionNumber: '00080050',
  Modality: '00080060',
  ModalitiesInStudy: '00080061',
  StudyDescription: '00081030',
  SeriesDescription: '0008103E',
  Manufacturer: '00080070',
  PatientName: '00100010',
  PatientID: '00100020',
  PatientBirthDate: '00100030',
  PatientSex: '00100040',
  SliceThickness: '00180050',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  StudyID: '00200010',
  SeriesNumber: '00200011',
  InstanceNumber: '00200013',
  ImagePositionPatient: '00200032',
  ImageOrientationPatient: '00200037',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  NumberOfSeriesRelatedInstances: '00201209',
  SamplesPerPixel: '00280002',
  PhotometricInterpretation: '00280004',
  NumberOfFrames: '00280008',
  Rows: '00280010',
  Columns: '00280011',
  PixelSpacing: '00280030',
  BitsAllocated: '00280100',
  BitsStored: '00280101',
  PixelRepresentation: '00280103',
  WindowCenter: '00281050',
  WindowWidth: '00281051',
  RescaleIntercept: '00281052',
  RescaleSlope: '00281053',
} as const;

// The values of an attribute; [] when it is absent or the answer is malformed (an element or a Value that is not
// what PS3.18 F.2 says: hostile or broken servers send anything).
export function values(item: DicomJson, tag: string): unknown[] {
  const element: unknown = item !== null && typeof item === 'object' ? item[tag] : undefined;
  const list = element !== null && typeof element === 'object' ? (element as { Value?: unknown }).Value : undefined;
  return Array.isArray(list) ? list : [];
}

export function str(item: DicomJson, tag: string): string {
  const v = values(item, tag)[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return personName(v);
  return String(v);
}

export function num(item: DicomJson, tag: string): number | undefined {
  const v = values(item, tag)[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

export function nums(item: DicomJson, tag: string): number[] {
  return values(item, tag).map((v) => (typeof v === 'number' ? v : Number(v)));
}

// A PN value: {"Alphabetic": "Doe^John"} -> "Doe John".
function personName(v: object): string {
  const alphabetic = (v as { Alphabetic?: unknown }).Alphabetic;
  if (typeof alphabetic !== 'string') return '';
  return alphabetic.split('^').filter((s) => s !== '').join(' ');
}

// 20000101 -> 2000-01-01
export function formatDate(da: string): string {
  return /^\d{8}$/.test(da) ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}` : da;
}
