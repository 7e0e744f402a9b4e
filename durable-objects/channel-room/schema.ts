import { ALARM_SCHEDULE_TABLE } from "../shared/AlarmSchedule";
import type { Migration } from "../shared/runMigrations";
import { SEARCH_OUTBOX_PRUNED_COLUMN, SEARCH_OUTBOX_TABLE } from "./SearchOutbox";

// Append-only: never edit or reorder a step that has shipped; add a new one.
export const channelRoomMigrations: readonly Migration[] = [
  {
    name: "0001_channel_room",
    sql: `
CREATE TABLE meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  channel_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('public', 'private', 'dm', 'group_dm')),
  name TEXT,
  topic TEXT NOT NULL,
  purpose TEXT NOT NULL,
  archived INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  member_count INTEGER NOT NULL DEFAULT 0,
  last_message_seq INTEGER NOT NULL DEFAULT 0,
  last_event_seq INTEGER NOT NULL DEFAULT 0,
  -- Events up to this seq have been pruned: a cursor below it cannot be served.
  pruned_through INTEGER NOT NULL DEFAULT 0
);

-- Authoritative for who may read and post. username feeds @mention resolution.
CREATE TABLE members (
  user_id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
  online INTEGER NOT NULL DEFAULT 0,
  joined_at TEXT NOT NULL
);
CREATE INDEX members_username ON members (username);
CREATE INDEX members_online ON members (user_id) WHERE online = 1;

CREATE TABLE messages (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  author_id TEXT NOT NULL,
  text TEXT NOT NULL,
  client_msg_id TEXT,
  thread_root_id TEXT,
  reply_count INTEGER NOT NULL DEFAULT 0,
  mentions TEXT NOT NULL,
  edited_at TEXT,
  deleted INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  UNIQUE (author_id, client_msg_id)
);

-- Who a message mentions personally (@username, or @here while online), for mention counts.
CREATE TABLE message_mentions (
  user_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;

-- The channel's event log; frame is the exact JSON sent to sockets and served on replay.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  frame TEXT NOT NULL
);

CREATE TABLE read_markers (
  user_id TEXT PRIMARY KEY,
  last_read_seq INTEGER NOT NULL
);
`,
  },
  {
    name: "0002_threads_reactions_pins",
    sql: `
ALTER TABLE messages ADD COLUMN also_send_to_channel INTEGER NOT NULL DEFAULT 0;
-- A thread root's summary, kept in step with its replies in the transaction that changes them.
ALTER TABLE messages ADD COLUMN last_reply_at TEXT;
-- JSON array: the most recent distinct repliers, newest first, at most 10.
ALTER TABLE messages ADD COLUMN reply_user_ids TEXT NOT NULL DEFAULT '[]';
CREATE INDEX messages_thread ON messages (thread_root_id, seq) WHERE thread_root_id IS NOT NULL;
-- Channel history: top-level messages and the replies also sent to the channel.
CREATE INDEX messages_channel_view ON messages (seq) WHERE thread_root_id IS NULL OR also_send_to_channel = 1;

-- Per thread and member: following is 1 (following), 0 (unfollowed on purpose, so automatic
-- following leaves them alone) or NULL (only a read marker); last_read_seq is a message seq.
CREATE TABLE thread_followers (
  root_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  following INTEGER,
  last_read_seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (root_id, user_id)
) WITHOUT ROWID;
CREATE INDEX thread_followers_user ON thread_followers (user_id) WHERE following = 1;

-- One row per (message, emoji, user). id never repeats (AUTOINCREMENT), and group_id is the id of
-- the first reaction of its (message, emoji) group: ordering by (group_id, id) lists groups in
-- order of first use and reactors in the order they reacted.
CREATE TABLE reactions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  seq INTEGER NOT NULL,
  emoji TEXT NOT NULL,
  user_id TEXT NOT NULL,
  group_id INTEGER NOT NULL,
  UNIQUE (seq, emoji, user_id)
);
CREATE INDEX reactions_message ON reactions (seq, group_id, id);

-- Pinned messages by message seq; id orders them (newest pin first).
CREATE TABLE pins (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  seq INTEGER NOT NULL UNIQUE,
  pinned_by TEXT NOT NULL,
  pinned_at TEXT NOT NULL
);
`,
  },
  {
    name: "0003_alarm_schedule",
    // A room that already holds events is due for a retention check at once: the check works out
    // when it is next due from the oldest event and the configured retention.
    sql: `${ALARM_SCHEDULE_TABLE}
INSERT INTO alarm_schedule (purpose, due_at) SELECT 'event_retention', MIN(at) FROM events HAVING COUNT(*) > 0;
`,
  },
  {
    name: "0004_files",
    sql: `
-- The files each message carries, in attachment order, each as last announced (file.updated).
CREATE TABLE message_files (
  seq INTEGER NOT NULL,
  position INTEGER NOT NULL,
  file_id TEXT NOT NULL,
  file TEXT NOT NULL,
  PRIMARY KEY (seq, position)
) WITHOUT ROWID;
CREATE INDEX message_files_file ON message_files (file_id);
`,
  },
  {
    name: "0005_search_outbox",
    // Messages written before search existed are indexed by a rebuild (POST /admin/search/rebuild).
    sql: SEARCH_OUTBOX_TABLE,
  },
  {
    name: "0006_admin",
    // The directory outbox (DirectoryOutbox.ts): audit rows written in the transaction of the
    // moderation they record, and per-day message counts, both waiting to be flushed to D1; and
    // the first message retention check.
    sql: `
CREATE TABLE audit_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor_id TEXT,
  action TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT NOT NULL,
  details TEXT NOT NULL,
  request_id TEXT
);
CREATE TABLE message_day_pending (
  day TEXT PRIMARY KEY,
  count INTEGER NOT NULL
) WITHOUT ROWID;
-- A room that already holds messages checks the workspace's message retention at once
-- (MessageRetention.ts); from then on every day while it has messages.
INSERT INTO alarm_schedule (purpose, due_at) SELECT 'message_retention', 0 WHERE EXISTS (SELECT 1 FROM messages);
`,
  },
  {
    name: "0007_retention",
    // What message retention (MessageRetention.ts) owes the rest of the system, written in the
    // pruning transaction: the index documents of pruned messages, whose rows are gone when the
    // search outbox flushes (SearchOutbox.ts), and the files no message of the room carries any
    // more, to be released in D1 by the directory outbox (DirectoryOutbox.ts).
    sql: `${SEARCH_OUTBOX_PRUNED_COLUMN}
CREATE TABLE file_release_outbox (
  file_id TEXT PRIMARY KEY,
  at TEXT NOT NULL
) WITHOUT ROWID;
`,
  },
];
