/**
 * Which rendered file is which, for the rules: the paths the guests receive
 * (modules/services/fromTopology/paths.ts), never guessed from a file name.
 */
import { PG_PATHS, PGBACKREST_PATHS } from '../../modules/services/fromTopology/paths.ts';
import type { RenderedConfig } from '../types.ts';

/** Patroni's config of a PostgreSQL data node. */
export const isPatroniConfig = (r: RenderedConfig): boolean => r.service === 'postgresql' && r.file === PG_PATHS.config;

/** The pgBackRest repository's config: pgbackrest.conf on a guest of the backup service. */
export const isRepositoryConfig = (r: RenderedConfig): boolean => r.service === 'backup' && r.guestService === 'backup' && r.file === PGBACKREST_PATHS.config;
