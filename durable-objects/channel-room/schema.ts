import type { Migration } from "../shared/runMigrations";

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
];
