// Every migration, in order. Kept in code (not files on disk) so dist/ carries them.
import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './001_initial.js';
import { listActiveAppsIndex } from './002_list_active_apps_index.js';
import { policy } from './003_policy.js';
import { signin } from './004_signin.js';
import { console005 } from './005_console.js';
import { orgAppCounts } from './006_org_app_counts.js';

const migrations: Record<string, Migration> = {
  '001_initial': initial,
  '002_list_active_apps_index': listActiveAppsIndex,
  '003_policy': policy,
  '004_signin': signin,
  '005_console': console005,
  '006_org_app_counts': orgAppCounts,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
