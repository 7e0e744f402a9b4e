-- Each ChannelRoom's event head, published lazily (at most a few times a second per busy room,
-- never per message): GET /users/me/channels compares it with what each member's UserSession has
-- cached, and asks only the rooms that changed since.
CREATE TABLE `channel_heads` (
	`channel_id` text PRIMARY KEY NOT NULL,
	`event_seq` integer NOT NULL
);
