-- Message search (README "Search"). Written by hand: drizzle has no model for FTS5 tables.
--
-- search_messages: one row per message ever indexed, with what the operators filter on. `version`
-- is the room's event seq when the row's content was read: an older job never overwrites a newer
-- one (queues deliver at least once, in any order). A deleted message keeps its row (deleted = 1,
-- no text in the index) so that a late, older upsert cannot bring it back. `indexed` says the FTS
-- row for this version is written (a redelivered job writes nothing twice).
--
-- rowid is the time order: created_at (epoch ms) × 1024 plus the next free slot of that
-- millisecond (SEARCH_ROWID_SLOTS in services/directory/searchIndex.ts). So "newest first" is
-- FTS5's own reverse rowid order, which it walks without reading every match, and a date filter is
-- a rowid range.
CREATE TABLE search_messages (
  rowid INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL UNIQUE,
  channel_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  author_id TEXT NOT NULL,
  -- epoch milliseconds
  created_at INTEGER NOT NULL,
  in_thread INTEGER NOT NULL DEFAULT 0,
  has_file INTEGER NOT NULL DEFAULT 0,
  has_link INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL,
  indexed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX search_messages_channel ON search_messages (channel_id, rowid) WHERE deleted = 0;

-- The full-text index, contentless (the text lives in the ChannelRooms; results are read from
-- there). `body` is the text with Chinese, Japanese and Korean characters blanked, for unicode61
-- (case- and accent-insensitive, prefix indexes for 2-4 character prefixes); `cjk` holds the
-- overlapping bigrams of every CJK run (Lucene's CJKAnalyzer), so a 2+ character CJK query is a
-- phrase of bigrams.
CREATE VIRTUAL TABLE search_fts USING fts5(
  body,
  cjk,
  content = '',
  contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3 4'
);

-- A rebuild of the index from the ChannelRooms (POST /admin/search/rebuild): one row, the run in
-- progress or last finished, with its cursor (channels are walked by id, each room's messages by
-- seq) so it resumes where it stopped.
CREATE TABLE search_rebuild (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  run_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done')),
  channel_id TEXT,
  after_seq INTEGER NOT NULL DEFAULT 0,
  channels_done INTEGER NOT NULL DEFAULT 0,
  channels_total INTEGER NOT NULL,
  messages_indexed INTEGER NOT NULL DEFAULT 0,
  started_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
