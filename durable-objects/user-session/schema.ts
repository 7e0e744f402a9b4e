import type { Migration } from "../shared/runMigrations";

export const userSessionMigrations: readonly Migration[] = [];
