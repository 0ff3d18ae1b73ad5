// The model catalog (/cairn/models/catalog.json): {"models": [{id, name, file, sha256, ...}]}. A model's file and
// card are relative to the catalog's URL. How to segment with a model is in the model itself (its ONNX metadata, read
// by the engine), not here.
import type { CatalogEntry } from '../../engine/model_cache.js';

export interface CatalogModel {
  id: string;
  name: string;
  description: string;
  url: string; // absolute
  sha256: string;
  development: boolean; // untrained or otherwise not for clinical reading
  task: string;
  parameters?: number;
  cardUrl?: string; // absolute
}

export function parseCatalog(json: unknown, catalogUrl: string): CatalogModel[] {
  const models = (json as { models?: unknown })?.models;
  if (!Array.isArray(models)) throw new Error('the model catalog has no "models" list');
  const out: CatalogModel[] = [];
  for (const raw of models) {
    const m = raw as Record<string, unknown>;
    if (typeof m?.id !== 'string' || typeof m.file !== 'string' || typeof m.sha256 !== 'string') continue;
    out.push({
      id: m.id,
      name: typeof m.name === 'string' ? m.name : m.id,
      description: typeof m.description === 'string' ? m.description : '',
      url: new URL(m.file, catalogUrl).href,
      sha256: m.sha256,
      development: m.development === true,
      task: typeof m.task === 'string' ? m.task : 'segmentation',
      parameters: typeof m.parameters === 'number' ? m.parameters : undefined,
      cardUrl: typeof m.card === 'string' ? new URL(m.card, catalogUrl).href : undefined,
    });
  }
  return out;
}

export function cacheEntry(model: CatalogModel): CatalogEntry {
  return { id: model.id, url: model.url, sha256: model.sha256 };
}
