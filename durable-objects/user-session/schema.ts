import type { Migration } from "../shared/runMigrations";

export const userSessionMigrations: readonly Migration[] = [
  {
    name: "user event log and tickets",
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE user_events (
        user_seq INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        at INTEGER NOT NULL,
        frame TEXT NOT NULL
      );
      CREATE INDEX user_events_at ON user_events (at);
      CREATE TABLE tickets (secret_hash TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
    `,
  },
  {
    name: "presence",
    sql: `
      -- Who watches this user's presence (other users' UserSessions).
      CREATE TABLE presence_subscribers (user_id TEXT PRIMARY KEY);
      -- What each of this user's sockets watches.
      CREATE TABLE socket_subscriptions (socket_id TEXT NOT NULL, target_id TEXT NOT NULL, PRIMARY KEY (socket_id, target_id));
      CREATE INDEX socket_subscriptions_target ON socket_subscriptions (target_id);
    `,
  },
  {
    name: "channel list",
    sql: `
      -- The user's channels: copied from the directory (D1), then kept current by channel.added
      -- and channel.removed; meta 'channels_checked_at' says when it last matched the directory.
      CREATE TABLE channels (channel_id TEXT PRIMARY KEY);
    `,
  },
  {
    name: "tickets bound to sessions",
    sql: `
      -- The login session that minted each ticket: a ticket dies with its session, and the socket
      -- it opens is closed with it.
      ALTER TABLE tickets ADD COLUMN session_id TEXT;
    `,
  },
  {
    name: "ended sessions",
    sql: `
      -- Login sessions of this user that ended (EndedSessions): their sockets may neither open nor send.
      CREATE TABLE ended_sessions (session_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
    `,
  },
  {
    name: "channel summaries",
    sql: `
      -- The user's read state per channel, as its room answered it at event head 'head'
      -- (ChannelSummaries): the channel list asks a room again only once its head moved past it.
      CREATE TABLE channel_summaries (channel_id TEXT PRIMARY KEY, head INTEGER NOT NULL, state TEXT NOT NULL);
    `,
  },
];
