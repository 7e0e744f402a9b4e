import type { Channel } from "../src/protocol/channels";
import type { Message } from "../src/protocol/messages";
import type { Role } from "../src/protocol/roles";

// Shapes from ../shared/API.md for routes that other work is adding (files, search, account
// security, moderation) and src/protocol does not describe yet. When their schemas land in
// src/protocol, import those instead and delete the copies here.

export type FileStatus = "uploading" | "scanning" | "clean" | "quarantined" | "scan_failed";

export type FileInfo = {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  status: FileStatus;
  uploaded_by: string;
  created_at: string;
  sha256: string | null;
  image: { width: number; height: number } | null;
  thumbnail: boolean;
};

export type CreatedFile = { file: FileInfo; upload: { url: string; method: "PUT"; headers: Record<string, string>; expires_at: string } };

/** A message as the files work extends it: the files it carries. */
export type MessageWithFiles = Message & { files?: FileInfo[] };

export type SearchHit = { message: Message; channel_id: string; highlights: { start: number; end: number }[] };
export type SearchPage<T> = { items: T[]; next_cursor: string | null };
export type ChannelSearchPage = SearchPage<Channel>;

export type LoginSession = { id: string; created_at: string; last_used_at: string | null; user_agent: string | null; current: boolean };

export type InviteSummary = { id: string; created_by: string; created_at: string; expires_at: string };
export type CreatedInvite = { id?: string; invite_token: string; expires_at: string };

export type ReportReason = "spam" | "abuse" | "harassment" | "other";
export type Report = {
  id: string;
  status: "open" | "resolved";
  reason: ReportReason;
  comment: string | null;
  reporter_id: string;
  message: Message;
  channel_id: string;
  created_at: string;
  resolution: unknown;
};
export type ReportAction = "dismiss" | "delete_message" | "deactivate_user";

export type AuditEntry = {
  id: string;
  at: string;
  actor_id: string | null;
  action: string;
  target: { type: string; id: string };
  details: unknown;
};

export type WorkspaceStats = {
  users: { active: number; deactivated: number; guests: number };
  channels: { public: number; private: number; dm: number };
  messages_last_30_days: number;
  file_bytes: number;
  online_now: number;
};

export type InviteRequest = { role?: Role; expires_in_hours?: number };
