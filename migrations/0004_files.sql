-- Files (issue 13). Hand-written, like 0003: the drizzle-kit snapshots in meta/ are left as they
-- are, so the next `drizzle-kit generate` re-derives these tables from src/db/schema.ts; drop
-- what it repeats.

-- Uploaded files; the bytes are in R2 (storage_key), the scan verdict and image facts here.
CREATE TABLE `files` (
	`id` text PRIMARY KEY NOT NULL,
	`uploaded_by` text NOT NULL,
	`filename` text NOT NULL,
	`content_type` text NOT NULL,
	`size` integer NOT NULL,
	`status` text DEFAULT 'uploading' NOT NULL,
	`channel_id` text,
	`storage_key` text NOT NULL,
	`upload_token_hash` text,
	`upload_expires_at` text NOT NULL,
	`etag` text,
	`sha256` text,
	`image_width` integer,
	`image_height` integer,
	`thumbnail` integer DEFAULT false NOT NULL,
	`scan_detail` text,
	`scan_queued_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text,
	FOREIGN KEY (`uploaded_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `files_uploaded_by` ON `files` (`uploaded_by`);
--> statement-breakpoint
CREATE INDEX `files_status_scan` ON `files` (`status`,`scan_queued_at`);
--> statement-breakpoint
CREATE INDEX `files_status_created` ON `files` (`status`,`created_at`);
--> statement-breakpoint

-- Where each file has been posted: the channels whose readers may read it.
CREATE TABLE `file_posts` (
	`file_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	PRIMARY KEY(`file_id`, `channel_id`),
	FOREIGN KEY (`file_id`) REFERENCES `files`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`channel_id`) REFERENCES `channels`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `file_posts_channel` ON `file_posts` (`channel_id`);
