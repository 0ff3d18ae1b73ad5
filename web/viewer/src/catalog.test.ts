import { describe, expect, it } from 'vitest';
import { cacheEntry, parseCatalog } from './catalog.js';

describe('catalog', () => {
  it('resolves files and cards against the catalog URL and keeps the development flag', () => {
    const models = parseCatalog(
      { models: [{ id: 'dev', name: 'Dev', file: 'dev/model.onnx', sha256: 'ab'.repeat(32), development: true, card: 'dev/MODEL_CARD.md' }, { id: 'broken' }] },
      'http://pacs/cairn/models/catalog.json',
    );
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ url: 'http://pacs/cairn/models/dev/model.onnx', cardUrl: 'http://pacs/cairn/models/dev/MODEL_CARD.md', development: true, task: 'segmentation' });
    expect(cacheEntry(models[0])).toEqual({ id: 'dev', url: 'http://pacs/cairn/models/dev/model.onnx', sha256: 'ab'.repeat(32) });
    expect(() => parseCatalog({}, 'http://pacs/')).toThrow(/no "models" list/);
  });
});
