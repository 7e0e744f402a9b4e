import type { z } from "@hono/zod-openapi";
import type { CreateInviteBody, InviteSchema, InviteSummarySchema, REPORT_REASONS } from "../src/protocol/admin";
import type { Channel } from "../src/protocol/channels";
import type { Message } from "../src/protocol/messages";

// Shapes of the files, search, account-security and moderation calls, under the SDK's names. Each
// is the src/protocol type the routes validate with (API.md "Files", "Search", "Admin and
// moderation"), so the SDK cannot drift from the server.

export type { AuditEntryView as AuditEntry, ReportAction, ReportView as Report, Stats as WorkspaceStats } from "../src/protocol/admin";
export type { CreatedFile, FileInfo, FileStatus } from "../src/protocol/files";
export type { FileHit, MessageHit, MessageHit as SearchHit } from "../src/protocol/search";
export type { SessionView as LoginSession } from "../src/protocol/sessions";

/** A message with the files it carries (every Message does; the name is kept for code written before). */
export type MessageWithFiles = Message;

export type SearchPage<T> = { items: T[]; next_cursor: string | null };
export type ChannelSearchPage = SearchPage<Channel>;

export type InviteSummary = z.infer<typeof InviteSummarySchema>;
export type CreatedInvite = z.infer<typeof InviteSchema>;
export type InviteRequest = z.input<typeof CreateInviteBody>;

export type ReportReason = (typeof REPORT_REASONS)[number];
