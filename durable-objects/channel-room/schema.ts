import type { Migration } from "../shared/runMigrations";

export const channelRoomMigrations: readonly Migration[] = [];
