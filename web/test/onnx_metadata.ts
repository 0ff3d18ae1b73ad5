// Adds metadata_props to an ONNX model's bytes: ModelProto field 14, repeated StringStringEntryProto {key = 1,
// value = 2}. Protobuf lets fields come in any order, so the entries are appended to the message. Tests use it to
// turn the zoo's random-weight U-Net into a segmentation model that describes itself (docs/model-metadata.md).
export function withMetadata(model: Uint8Array, metadata: Record<string, string>): Uint8Array {
  const parts: number[] = [];
  const encoder = new TextEncoder();
  const varint = (out: number[], n: number) => {
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
  };
  const field = (out: number[], number: number, bytes: ArrayLike<number>) => {
    varint(out, (number << 3) | 2);
    varint(out, bytes.length);
    for (let i = 0; i < bytes.length; ++i) out.push(bytes[i]);
  };
  for (const [key, value] of Object.entries(metadata)) {
    const entry: number[] = [];
    field(entry, 1, encoder.encode(key));
    field(entry, 2, encoder.encode(value));
    field(parts, 14, entry);
  }
  const out = new Uint8Array(model.length + parts.length);
  out.set(model);
  out.set(parts, model.length);
  return out;
}

// The lung U-Net's segmentation metadata (training/dataset.py's preprocessing) for the zoo's unet_paper.onnx, whose
// last node is a Sigmoid (activation "none"). size: the network input, "HxW".
export function lungMetadata(size = '256x256'): Record<string, string> {
  return {
    'cairn.schema': '1',
    'cairn.task': 'segmentation',
    'cairn.name': 'Lung U-Net (development)',
    'cairn.version': '0-dev',
    'cairn.description': "the paper's U-Net with random weights, for tests",
    'cairn.input.modality': 'CT',
    'cairn.input.hu_clip': '-1024,600',
    'cairn.input.center': '-212',
    'cairn.input.scale': '812',
    'cairn.input.size': size,
    'cairn.input.resample': 'area',
    'cairn.output.activation': 'none',
    'cairn.output.threshold': '0.5',
    'cairn.output.resample': 'bilinear',
    'cairn.postprocess.components': '2',
    'cairn.postprocess.fill_holes': 'slice',
    'cairn.postprocess.split': 'left_right',
    'cairn.labels': JSON.stringify([
      { value: 1, name: 'Right lung', snomed: '3341006', meaning: 'Right lung', color: [255, 128, 0] },
      { value: 2, name: 'Left lung', snomed: '44029006', meaning: 'Left lung', color: [0, 160, 255] },
      { value: 255, name: 'Lung', snomed: '39607008', meaning: 'Lung', color: [255, 0, 0] },
    ]),
  };
}
