import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { EXPORT_STATUSES } from "../protocol/admin";
import { FILE_STATUSES } from "../protocol/files";
import { CHANNEL_KINDS, CHANNEL_ROLES, ROLES } from "../protocol/roles";

// The directory (D1). Per-message state never lives here: messages, channel events and read
// markers belong to the ChannelRoom Durable Objects (DESIGN.md "Directory vs actor"); a room's
// event head is published here lazily (channel_heads), never per message.

const createdAt = () => text("created_at").notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`);

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    username: text("username").notNull(),
    email: text("email"),
    displayName: text("display_name").notNull().default(""),
    role: text("role", { enum: ROLES }).notNull().default("member"),
    title: text("title").notNull().default(""),
    timezone: text("timezone").notNull().default("UTC"),
    statusText: text("status_text").notNull().default(""),
    statusEmoji: text("status_emoji").notNull().default(""),
    passwordHash: text("password_hash"),
    deactivated: integer("deactivated", { mode: "boolean" }).notNull().default(false),
    createdAt: createdAt(),
    updatedAt: text("updated_at"),
    /** A workspace-wide mute: until then they may read but not post, react or open DMs. */
    mutedUntil: text("muted_until"),
  },
  (t) => [uniqueIndex("users_username_unique").on(t.username), uniqueIndex("users_email_unique").on(t.email)],
);

/** External (OIDC) identities, keyed by (issuer, subject). */
export const identities = sqliteTable(
  "identities",
  {
    issuer: text("issuer").notNull(),
    subject: text("subject").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    /** `iat` of the newest token whose claims were applied: an older token never undoes a newer one. */
    claimsIssuedAt: integer("claims_issued_at"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.subject] }), index("identities_user").on(t.userId)],
);

/** A login session: one refresh-token family. Revoking it kills every token of the family. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    expiresAt: text("expires_at").notNull(),
    revokedAt: text("revoked_at"),
    revokeReason: text("revoke_reason"),
    userAgent: text("user_agent"),
    /** When the session last signed in or refreshed; null on sessions older than the column (read created_at). */
    lastUsedAt: text("last_used_at"),
  },
  (t) => [index("sessions_user").on(t.userId)],
);

/** Refresh tokens, stored as SHA-256 hashes; each is spent once (rotation). */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id),
    createdAt: createdAt(),
    spentAt: text("spent_at"),
  },
  (t) => [index("refresh_tokens_session").on(t.sessionId)],
);

export const invites = sqliteTable("invites", {
  id: text("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  createdBy: text("created_by")
    .notNull()
    .references(() => users.id),
  role: text("role", { enum: ROLES }).notNull().default("member"),
  expiresAt: text("expires_at").notNull(),
  usedBy: text("used_by"),
  usedAt: text("used_at"),
  createdAt: createdAt(),
  revokedAt: text("revoked_at"),
});

/** The locally generated access-token signing key, when no JWT_PRIVATE_KEY secret is set. */
export const signingKeys = sqliteTable("signing_keys", {
  kid: text("kid").primaryKey(),
  privateJwk: text("private_jwk").notNull(),
  createdAt: createdAt(),
});

/** Fixed-window counters for rate limits (sign-ups per address, socket tickets and channels per user). */
export const throttles = sqliteTable("throttles", {
  key: text("key").primaryKey(),
  count: integer("count").notNull(),
  resetAt: integer("reset_at").notNull(),
});

/**
 * Sign-in failures per (account, client address) and per client address (services/auth/loginThrottle.ts):
 * a leaky bucket, in epoch milliseconds. `attempt` and `prev_blocked_until` let a sign-in that turns
 * out right take back the failure it was counted as.
 */
export const loginThrottles = sqliteTable("login_throttles", {
  key: text("key").primaryKey(),
  level: real("level").notNull(),
  updatedAt: integer("updated_at").notNull(),
  blockedUntil: integer("blocked_until").notNull(),
  prevBlockedUntil: integer("prev_blocked_until").notNull(),
  attempt: text("attempt").notNull(),
  forgetAt: integer("forget_at").notNull(),
});

/** Admin-issued password reset tokens: SHA-256 hashes, single use, at most a day. */
export const passwordResets = sqliteTable(
  "password_resets",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull().unique(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    createdBy: text("created_by")
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    expiresAt: text("expires_at").notNull(),
    /** Used, or superseded by a newer reset or a password change. */
    spentAt: text("spent_at"),
  },
  (t) => [index("password_resets_user").on(t.userId)],
);

export const channels = sqliteTable(
  "channels",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: CHANNEL_KINDS }).notNull(),
    /** Unique among channels; null for DMs. */
    name: text("name"),
    /** Sorted member ids of a DM or group DM: makes "get or create" race-free. */
    dmKey: text("dm_key"),
    topic: text("topic").notNull().default(""),
    purpose: text("purpose").notNull().default(""),
    archived: integer("archived", { mode: "boolean" }).notNull().default(false),
    createdBy: text("created_by").notNull(),
    memberCount: integer("member_count").notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("channels_name_unique").on(t.name), uniqueIndex("channels_dm_key_unique").on(t.dmKey)],
);

export const memberships = sqliteTable(
  "memberships",
  {
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    role: text("role", { enum: CHANNEL_ROLES }).notNull().default("member"),
    joinedAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.userId] }), index("memberships_user").on(t.userId)],
);

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: createdAt(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id"),
    details: text("details", { mode: "json" }),
    requestId: text("request_id"),
    /** The ChannelRoom outbox row an entry came from (`<channel_id>:<n>`): a repeated flush inserts it once. */
    sourceKey: text("source_key").unique(),
  },
  (t) => [
    index("audit_log_target").on(t.targetType, t.targetId),
    index("audit_log_action").on(t.action, t.id),
    index("audit_log_actor").on(t.actorId, t.id),
    index("audit_log_target_id").on(t.targetId, t.id),
  ],
);

/** Workspace-wide settings: one row, id 1 (absent = defaults). Retention in days; null keeps forever. */
export const workspaceSettings = sqliteTable("workspace_settings", {
  id: integer("id").primaryKey(),
  messageDays: integer("message_days"),
  fileDays: integer("file_days"),
  updatedAt: text("updated_at"),
  updatedBy: text("updated_by"),
});

/** Reports of messages, one per (reporter, message); `message` is the message as it was reported. */
export const reports = sqliteTable(
  "reports",
  {
    id: text("id").primaryKey(),
    channelId: text("channel_id").notNull(),
    messageId: text("message_id").notNull(),
    authorId: text("author_id").notNull(),
    reporterId: text("reporter_id")
      .notNull()
      .references(() => users.id),
    reason: text("reason").notNull(),
    comment: text("comment"),
    message: text("message", { mode: "json" }).notNull(),
    status: text("status", { enum: ["open", "resolved"] })
      .notNull()
      .default("open"),
    createdAt: createdAt(),
    resolvedAt: text("resolved_at"),
    resolvedBy: text("resolved_by"),
    resolutionAction: text("resolution_action"),
    resolutionNote: text("resolution_note"),
  },
  (t) => [
    uniqueIndex("reports_reporter_message_unique").on(t.reporterId, t.messageId),
    index("reports_status").on(t.status, t.createdAt, t.id),
    index("reports_channel_message").on(t.channelId, t.messageId),
  ],
);

/** Workspace exports: a queue job's status and checkpoint (src/queues/exportJob.ts). */
export const exportsTable = sqliteTable(
  "exports",
  {
    id: text("id").primaryKey(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    status: text("status", { enum: EXPORT_STATUSES }).notNull().default("running"),
    channelIds: text("channel_ids", { mode: "json" }).$type<string[] | null>(),
    includeDms: integer("include_dms", { mode: "boolean" }).notNull().default(false),
    objectKey: text("object_key"),
    size: integer("size"),
    error: text("error"),
    version: integer("version").notNull().default(0),
    checkpoint: text("checkpoint"),
    finishedAt: text("finished_at"),
    /** When the sweep deleted the archive (EXPORT_RETENTION_DAYS after it finished). */
    expiredAt: text("expired_at"),
  },
  (t) => [index("exports_status_finished").on(t.status, t.finishedAt)],
);

/** A running export's central directory records, a chunk per row (src/queues/exportJob.ts). */
export const exportEntries = sqliteTable(
  "export_entries",
  {
    exportId: text("export_id").notNull(),
    chunk: integer("chunk").notNull(),
    entries: text("entries").notNull(),
  },
  (t) => [primaryKey({ columns: [t.exportId, t.chunk] })],
);

/** Counters for GET /admin/stats, kept by D1 triggers (migrations/0006_admin.sql, 0009_file_bytes.sql). */
export const statCounters = sqliteTable("stat_counters", {
  name: text("name").primaryKey(),
  value: integer("value").notNull().default(0),
});

/** Users with a socket open now: their UserSession adds them at the first socket and removes them at the last. */
export const onlineUsers = sqliteTable("online_users", {
  userId: text("user_id").primaryKey(),
  since: text("since").notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
});

/** Messages sent per UTC day (YYYY-MM-DD), added to in batches by the ChannelRooms' directory outboxes. */
export const messageDayCounts = sqliteTable("message_day_counts", {
  day: text("day").primaryKey(),
  count: integer("count").notNull().default(0),
});

/**
 * Which threads each user follows, across channels: the index "my threads" reads to know which
 * ChannelRooms to ask (each room keeps the followers and read markers and has the last word).
 * Written when someone starts or stops following, never per message.
 */
export const threadFollows = sqliteTable(
  "thread_follows",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id),
    rootId: text("root_id").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.channelId, t.rootId] })],
);

/**
 * Uploaded files (API.md "Files"). The bytes are in R2 under `storage_key`; `etag` is the object's
 * ETag when `complete` found it, and every later read of the object asks R2 for that ETag, so bytes
 * replaced after the scan are never served or thumbnailed. `upload_token_hash` is the SHA-256 of the
 * local upload URL's token (null once used, and for presigned uploads).
 */
export const files = sqliteTable(
  "files",
  {
    id: text("id").primaryKey(),
    uploadedBy: text("uploaded_by")
      .notNull()
      .references(() => users.id),
    filename: text("filename").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    status: text("status", { enum: FILE_STATUSES }).notNull().default("uploading"),
    /** The channel named at upload: it hears of every status change too. */
    channelId: text("channel_id"),
    storageKey: text("storage_key").notNull(),
    uploadTokenHash: text("upload_token_hash"),
    uploadExpiresAt: text("upload_expires_at").notNull(),
    etag: text("etag"),
    sha256: text("sha256"),
    imageWidth: integer("image_width"),
    imageHeight: integer("image_height"),
    thumbnail: integer("thumbnail", { mode: "boolean" }).notNull().default(false),
    /** Why the scan ended as it did: the signature found, or what failed. */
    scanDetail: text("scan_detail"),
    /** When the file was last put on the scan queue: the sweep re-enqueues ones stuck in `scanning`. */
    scanQueuedAt: text("scan_queued_at"),
    createdAt: createdAt(),
    updatedAt: text("updated_at"),
    /** When retention left the file posted nowhere (a ChannelRoom's directory outbox): the retention sweep deletes it. */
    unreferencedAt: text("unreferenced_at"),
  },
  (t) => [
    index("files_uploaded_by").on(t.uploadedBy),
    index("files_status_scan").on(t.status, t.scanQueuedAt),
    index("files_status_created").on(t.status, t.createdAt),
    index("files_unreferenced").on(t.unreferencedAt).where(sql`${t.unreferencedAt} IS NOT NULL`),
    index("files_created").on(t.createdAt),
  ],
);

/** Where a file has been posted: whoever may read one of these channels may read the file. */
export const filePosts = sqliteTable(
  "file_posts",
  {
    fileId: text("file_id")
      .notNull()
      .references(() => files.id),
    channelId: text("channel_id")
      .notNull()
      .references(() => channels.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.fileId, t.channelId] }), index("file_posts_channel").on(t.channelId)],
);

/**
 * Each ChannelRoom's event head, published by the room lazily (HeadPublisher: one write per
 * room per PUBLISH_HEAD_DELAY_MS at most, never per message). Per channel, not per message:
 * GET /users/me/channels reads it with the memberships, so each member's UserSession asks only
 * the rooms whose head moved past what it has cached (ChannelSummaries).
 */
export const channelHeads = sqliteTable("channel_heads", {
  channelId: text("channel_id").primaryKey(),
  eventSeq: integer("event_seq").notNull(),
});
