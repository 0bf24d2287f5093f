import type { PropertySchema } from '@app/contracts';

/** A data source's properties, found by id (first) or name. */
export class PropertyLookup {
  private readonly byId = new Map<string, PropertySchema>();
  private readonly byName = new Map<string, PropertySchema>();

  constructor(readonly properties: readonly PropertySchema[]) {
    for (const p of properties) {
      this.byId.set(p.id, p);
      if (!this.byName.has(p.name)) this.byName.set(p.name, p);
    }
  }

  /** An id wins over a name when a string is both (docs/queries.md). */
  find(idOrName: string): PropertySchema | undefined {
    return this.byId.get(idOrName) ?? this.byName.get(idOrName);
  }
}
