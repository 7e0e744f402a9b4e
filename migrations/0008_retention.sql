-- Retention that really deletes, export expiry, export checkpoints in chunks (issue 15, with the
-- retention parts of 13 and 14). Hand-written, like 0003-0007: the drizzle-kit snapshots in meta/
-- are left as they are; src/db/schema.ts describes the same tables.

-- When message retention pruned the last message carrying the file in the last channel it was
-- posted in (a ChannelRoom's directory outbox sets it): the retention sweep then deletes it, bytes and
-- all. Posting the file again clears it.
ALTER TABLE `files` ADD `unreferenced_at` text;
--> statement-breakpoint
CREATE INDEX `files_unreferenced` ON `files` (`unreferenced_at`) WHERE `unreferenced_at` IS NOT NULL;
--> statement-breakpoint
-- The workspace's file_days: the sweep deletes files created before the cutoff, oldest first.
CREATE INDEX `files_created` ON `files` (`created_at`);
--> statement-breakpoint

-- A finished export's archive is deleted after EXPORT_RETENTION_DAYS (status becomes `expired`).
ALTER TABLE `exports` ADD `expired_at` text;
--> statement-breakpoint
CREATE INDEX `exports_status_finished` ON `exports` (`status`, `finished_at`);
--> statement-breakpoint

-- The central directory records of a running export, a chunk of entries per row, so the
-- checkpoint (one D1 row) stays small however many entries the archive has. Written with the
-- checkpoint that moves past them; deleted when the export finishes.
CREATE TABLE `export_entries` (
	`export_id` text NOT NULL,
	`chunk` integer NOT NULL,
	`entries` text NOT NULL,
	PRIMARY KEY(`export_id`, `chunk`)
);
