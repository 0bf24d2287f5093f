import type { EntityManager } from 'typeorm';

/**
 * What must commit together with a change to a project, in the same
 * transaction (`manager`). libs/sync provides it (`SyncStateModule`, global):
 * a project's sync state lives there, and libs/projects does not import the
 * sync domain. An app that imports `ProjectsModule` without it fails at boot
 * (Nest cannot resolve `ProjectsService`), never silently.
 */
export abstract class ProjectHooks {
  /** The project was just inserted (its row is visible to `manager` only until the commit). */
  abstract created(projectId: string, manager: EntityManager): Promise<void>;

  /** The project's Notion token was replaced. */
  abstract notionTokenChanged(projectId: string, manager: EntityManager): Promise<void>;

  /** Page bodies were turned on (`syncContent`): the ones missing are to be fetched. */
  abstract contentSyncEnabled(projectId: string, manager: EntityManager): Promise<void>;
}
