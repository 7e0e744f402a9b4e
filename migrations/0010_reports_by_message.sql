-- Message retention empties reports' copies of pruned messages by channel and message id
-- (durable-objects/channel-room/DirectoryOutbox.ts); reports are kept, so without this index each
-- room's flush would read the whole table.
CREATE INDEX `reports_channel_message` ON `reports` (`channel_id`, `message_id`);
