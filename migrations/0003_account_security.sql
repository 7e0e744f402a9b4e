-- Account security (issue 12, items 2 and 3). Hand-written: the drizzle-kit snapshots in meta/
-- are left as they are, so the next `drizzle-kit generate` will re-derive these three changes
-- from src/db/schema.ts; drop what it repeats.

-- When a session last signed in or traded its refresh token (GET /users/me/sessions). Null on
-- sessions from before this migration; readers fall back to created_at.
ALTER TABLE `sessions` ADD `last_used_at` text;
--> statement-breakpoint

-- Admin-issued, single-use password reset tokens, stored as SHA-256 hashes.
CREATE TABLE `password_resets` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`user_id` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`expires_at` text NOT NULL,
	`spent_at` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `password_resets_token_hash_unique` ON `password_resets` (`token_hash`);
--> statement-breakpoint
CREATE INDEX `password_resets_user` ON `password_resets` (`user_id`);
--> statement-breakpoint

-- Failed sign-ins per (account, client address) and per client address: a leaky bucket whose
-- level grows by one per attempt still unproven and drains at threshold/window, with the wait
-- it imposes (services/auth/loginThrottle.ts).
CREATE TABLE `login_throttles` (
	`key` text PRIMARY KEY NOT NULL,
	`level` real NOT NULL,
	`updated_at` integer NOT NULL,
	`blocked_until` integer NOT NULL,
	`prev_blocked_until` integer NOT NULL,
	`attempt` text NOT NULL,
	`forget_at` integer NOT NULL
);
