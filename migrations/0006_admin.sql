-- Admin and moderation (issue 15). Hand-written, like 0003: the drizzle-kit snapshots in meta/
-- are left as they are; src/db/schema.ts describes the same tables.

-- Audit rows written by a ChannelRoom's outbox carry the key of their outbox row, so a flush
-- that runs twice (the caller's and the alarm's) inserts each row once.
ALTER TABLE `audit_log` ADD `source_key` text;
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_log_source_key_unique` ON `audit_log` (`source_key`);
--> statement-breakpoint
CREATE INDEX `audit_log_action` ON `audit_log` (`action`, `id`);
--> statement-breakpoint
CREATE INDEX `audit_log_actor` ON `audit_log` (`actor_id`, `id`);
--> statement-breakpoint
CREATE INDEX `audit_log_target_id` ON `audit_log` (`target_id`, `id`);
--> statement-breakpoint
-- Append-only: no statement may change a row once written (old rows are deleted by the daily
-- housekeeping after AUDIT_RETENTION_DAYS, never edited).
CREATE TRIGGER `audit_log_append_only` BEFORE UPDATE ON `audit_log`
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
--> statement-breakpoint

-- Invites can be revoked; an invite whose creator is deactivated stops working (checked at use).
ALTER TABLE `invites` ADD `revoked_at` text;
--> statement-breakpoint

-- A workspace-wide mute: until this time the user may read but not post, react or open DMs.
ALTER TABLE `users` ADD `muted_until` text;
--> statement-breakpoint

-- Workspace settings, one row (absent = defaults). Retention in days; NULL keeps forever.
CREATE TABLE `workspace_settings` (
	`id` integer PRIMARY KEY NOT NULL CHECK (`id` = 1),
	`message_days` integer CHECK (`message_days` IS NULL OR `message_days` >= 1),
	`file_days` integer CHECK (`file_days` IS NULL OR `file_days` >= 1),
	`updated_at` text,
	`updated_by` text
);
--> statement-breakpoint

-- Reports of messages, one per (reporter, message). `message` is the message as the reporter saw
-- it, so the moderation queue shows it even after an edit or a delete.
CREATE TABLE `reports` (
	`id` text PRIMARY KEY NOT NULL,
	`channel_id` text NOT NULL,
	`message_id` text NOT NULL,
	`author_id` text NOT NULL,
	`reporter_id` text NOT NULL,
	`reason` text NOT NULL,
	`comment` text,
	`message` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`resolved_at` text,
	`resolved_by` text,
	`resolution_action` text,
	`resolution_note` text,
	FOREIGN KEY (`reporter_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reports_reporter_message_unique` ON `reports` (`reporter_id`, `message_id`);
--> statement-breakpoint
CREATE INDEX `reports_status` ON `reports` (`status`, `created_at`, `id`);
--> statement-breakpoint

-- Who has a socket open now (a UserSession adds its user at the first socket, removes at the last).
-- Created before stat_counters, whose triggers count its rows.
CREATE TABLE `online_users` (
	`user_id` text PRIMARY KEY NOT NULL,
	`since` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
-- Counters for GET /admin/stats, kept by triggers on the rows they count, so every code path that
-- adds, deactivates or removes a user or channel keeps them right and a read scans nothing.
-- `file_bytes` is kept by the files service (a row it upserts; absent = 0).
CREATE TABLE `stat_counters` (
	`name` text PRIMARY KEY NOT NULL,
	`value` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
-- What the workspace holds already, counted once here; the triggers keep it from then on.
INSERT INTO stat_counters (name, value) VALUES
	('users.active', (SELECT COUNT(*) FROM users WHERE deactivated = 0)),
	('users.deactivated', (SELECT COUNT(*) FROM users WHERE deactivated <> 0)),
	('users.guests', (SELECT COUNT(*) FROM users WHERE deactivated = 0 AND role = 'guest')),
	('channels.public', (SELECT COUNT(*) FROM channels WHERE kind = 'public')),
	('channels.private', (SELECT COUNT(*) FROM channels WHERE kind = 'private')),
	('channels.dm', (SELECT COUNT(*) FROM channels WHERE kind IN ('dm', 'group_dm')));
--> statement-breakpoint
CREATE TRIGGER `stat_users_insert` AFTER INSERT ON `users`
BEGIN
  INSERT INTO stat_counters (name, value) VALUES ('users.active', NEW.deactivated = 0) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
  INSERT INTO stat_counters (name, value) VALUES ('users.deactivated', NEW.deactivated <> 0) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
  INSERT INTO stat_counters (name, value) VALUES ('users.guests', NEW.deactivated = 0 AND NEW.role = 'guest') ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
END;
--> statement-breakpoint
CREATE TRIGGER `stat_users_update` AFTER UPDATE OF `deactivated`, `role` ON `users`
BEGIN
  INSERT INTO stat_counters (name, value) VALUES ('users.active', (NEW.deactivated = 0) - (OLD.deactivated = 0)) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
  INSERT INTO stat_counters (name, value) VALUES ('users.deactivated', (NEW.deactivated <> 0) - (OLD.deactivated <> 0)) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
  INSERT INTO stat_counters (name, value) VALUES ('users.guests', (NEW.deactivated = 0 AND NEW.role = 'guest') - (OLD.deactivated = 0 AND OLD.role = 'guest')) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
END;
--> statement-breakpoint
CREATE TRIGGER `stat_users_delete` AFTER DELETE ON `users`
BEGIN
  INSERT INTO stat_counters (name, value) VALUES ('users.active', -(OLD.deactivated = 0)) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
  INSERT INTO stat_counters (name, value) VALUES ('users.deactivated', -(OLD.deactivated <> 0)) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
  INSERT INTO stat_counters (name, value) VALUES ('users.guests', -(OLD.deactivated = 0 AND OLD.role = 'guest')) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
END;
--> statement-breakpoint
CREATE TRIGGER `stat_channels_insert` AFTER INSERT ON `channels`
BEGIN
  INSERT INTO stat_counters (name, value) VALUES ('channels.' || CASE NEW.kind WHEN 'group_dm' THEN 'dm' ELSE NEW.kind END, 1) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
END;
--> statement-breakpoint
CREATE TRIGGER `stat_channels_delete` AFTER DELETE ON `channels`
BEGIN
  INSERT INTO stat_counters (name, value) VALUES ('channels.' || CASE OLD.kind WHEN 'group_dm' THEN 'dm' ELSE OLD.kind END, -1) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
END;
--> statement-breakpoint
CREATE TRIGGER `stat_channels_kind` AFTER UPDATE OF `kind` ON `channels` WHEN NEW.kind <> OLD.kind
BEGIN
  INSERT INTO stat_counters (name, value) VALUES ('channels.' || CASE OLD.kind WHEN 'group_dm' THEN 'dm' ELSE OLD.kind END, -1) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
  INSERT INTO stat_counters (name, value) VALUES ('channels.' || CASE NEW.kind WHEN 'group_dm' THEN 'dm' ELSE NEW.kind END, 1) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
END;
--> statement-breakpoint

CREATE TRIGGER `stat_online_insert` AFTER INSERT ON `online_users`
BEGIN
  INSERT INTO stat_counters (name, value) VALUES ('online_now', 1) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
END;
--> statement-breakpoint
CREATE TRIGGER `stat_online_delete` AFTER DELETE ON `online_users`
BEGIN
  INSERT INTO stat_counters (name, value) VALUES ('online_now', -1) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value;
END;
--> statement-breakpoint

-- Messages sent per UTC day, added to in batches by each ChannelRoom's directory outbox.
CREATE TABLE `message_day_counts` (
	`day` text PRIMARY KEY NOT NULL,
	`count` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint

-- Workspace exports (POST /admin/exports): a queue job writes a ZIP in Slack's export layout to
-- R2 under exports/, a slice per queue message. `checkpoint` is where the next slice starts (the
-- multipart upload, its parts, the entries written, the position in the data); `version` makes
-- each slice's checkpoint a compare-and-set, so a redelivered message never runs one twice.
CREATE TABLE `exports` (
	`id` text PRIMARY KEY NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`status` text DEFAULT 'running' NOT NULL,
	`channel_ids` text,
	`include_dms` integer DEFAULT false NOT NULL,
	`object_key` text,
	`size` integer,
	`error` text,
	`version` integer DEFAULT 0 NOT NULL,
	`checkpoint` text,
	`finished_at` text
);
