import { z } from "@hono/zod-openapi";
import { RoleSchema } from "./users";

// Workspace administration (API.md "Users", Admin).

export const ChangeRoleBody = z.strictObject({ role: RoleSchema }).openapi("ChangeRoleRequest");

export const MAX_INVITE_HOURS = 24 * 30;

export const CreateInviteBody = z
  .strictObject({
    role: RoleSchema.default("member"),
    expires_in_hours: z
      .number()
      .int()
      .min(1)
      .max(MAX_INVITE_HOURS)
      .default(24 * 7),
  })
  .openapi("CreateInviteRequest");

export const InviteSchema = z
  .object({
    id: z.string(),
    invite_token: z.string().openapi({ description: "Shown once; pass as `invite_token` to /auth/register." }),
    expires_at: z.string(),
  })
  .openapi("Invite");

export const MAX_PASSWORD_RESET_HOURS = 24;

export const CreatePasswordResetBody = z
  .strictObject({
    expires_in_hours: z.number().int().min(1).max(MAX_PASSWORD_RESET_HOURS).default(MAX_PASSWORD_RESET_HOURS),
  })
  .openapi("CreatePasswordResetRequest");

export const PasswordResetSchema = z
  .object({
    reset_token: z.string().openapi({
      description: "Shown once. Hand it to the person (there is no e-mail service yet); they POST it to /auth/password-reset.",
    }),
    expires_at: z.string(),
  })
  .openapi("PasswordReset");

// ── Invites (list, revoke) ─────────────────────────────────────────────────────────────────────

export const InviteSummarySchema = z
  .object({ id: z.string(), created_by: z.string(), role: RoleSchema, created_at: z.string(), expires_at: z.string() })
  .openapi("InviteSummary");
export const InviteListSchema = z.object({ items: z.array(InviteSummarySchema) }).openapi("InviteList");
export const InviteIdParam = z.object({ invite_id: z.string().min(1).max(64) });

// ── Audit log ──────────────────────────────────────────────────────────────────────────────────

export const MAX_AUDIT_PAGE = 200;

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: z.string(),
    actor_id: z.string().nullable(),
    action: z.string().openapi({ example: "user.role_changed" }),
    target: z.object({ type: z.string(), id: z.string().nullable() }),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi("AuditEntry");
export type AuditEntryView = z.infer<typeof AuditEntrySchema>;

export const AuditQuerySchema = z.object({
  action: z.string().min(1).max(64).optional(),
  actor_id: z.string().min(1).max(64).optional(),
  target_id: z.string().min(1).max(64).optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).default(50),
});
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

export const AuditPageSchema = z.object({ items: z.array(AuditEntrySchema), next_cursor: z.string().nullable() }).openapi("AuditPage");

// ── Reports and the moderation queue ───────────────────────────────────────────────────────────

export const REPORT_REASONS = ["spam", "abuse", "harassment", "other"] as const;
export const REPORT_ACTIONS = ["dismiss", "delete_message", "deactivate_user"] as const;
export type ReportAction = (typeof REPORT_ACTIONS)[number];

export const CreateReportBody = z
  .strictObject({ reason: z.enum(REPORT_REASONS), comment: z.string().trim().max(1000).optional() })
  .openapi("CreateReportRequest");

export const ResolveReportBody = z
  .strictObject({ action: z.enum(REPORT_ACTIONS), note: z.string().trim().max(1000).optional() })
  .openapi("ResolveReportRequest");

export const ReportSchema = z
  .object({
    id: z.string(),
    status: z.enum(["open", "resolved"]),
    reason: z.enum(REPORT_REASONS),
    comment: z.string().nullable(),
    reporter_id: z.string(),
    message: z.record(z.string(), z.unknown()).openapi({ description: "The message as it was when reported." }),
    channel_id: z.string(),
    created_at: z.string(),
    resolution: z
      .object({ action: z.enum(REPORT_ACTIONS), note: z.string().nullable(), resolved_by: z.string(), resolved_at: z.string() })
      .nullable(),
  })
  .openapi("Report");
export type ReportView = z.infer<typeof ReportSchema>;

export const ReportQuerySchema = z.object({
  status: z.enum(["open", "resolved"]).optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ReportQuery = z.infer<typeof ReportQuerySchema>;

export const ReportPageSchema = z.object({ items: z.array(ReportSchema), next_cursor: z.string().nullable() }).openapi("ReportPage");
export const ReportIdParam = z.object({ report_id: z.string().min(1).max(64) });

/** The `data` of the user event `report.resolved`, sent to the reporter. */
export const ReportResolvedEventDataSchema = z.object({
  report_id: z.string(),
  channel_id: z.string(),
  message_id: z.string(),
  action: z.enum(REPORT_ACTIONS),
});
export type ReportResolvedEventData = z.infer<typeof ReportResolvedEventDataSchema>;

// ── Mute ───────────────────────────────────────────────────────────────────────────────────────

export const MAX_MUTE_MINUTES = 60 * 24 * 365;

export const MuteBody = z
  .strictObject({
    minutes: z.number().int().min(1).max(MAX_MUTE_MINUTES),
    reason: z.string().trim().max(500).optional(),
  })
  .openapi("MuteRequest");

export const MuteSchema = z.object({ user_id: z.string(), muted_until: z.string().nullable() }).openapi("Mute");

// ── Retention and stats ────────────────────────────────────────────────────────────────────────

export const MAX_RETENTION_DAYS = 36_500;
const days = z.number().int().min(1).max(MAX_RETENTION_DAYS).nullable();

export const RetentionSchema = z
  .object({
    message_days: days.openapi({ description: "Messages older than this many days are deleted for real; null keeps them forever." }),
    file_days: days.openapi({ description: "Files older than this many days are deleted for real; null keeps them forever." }),
  })
  .openapi("Retention");
export type Retention = z.infer<typeof RetentionSchema>;
export const RetentionBody = z.strictObject({ message_days: days, file_days: days }).openapi("RetentionRequest");

export const StatsSchema = z
  .object({
    users: z.object({ active: z.number().int(), deactivated: z.number().int(), guests: z.number().int() }),
    channels: z.object({ public: z.number().int(), private: z.number().int(), dm: z.number().int() }),
    messages_last_30_days: z.number().int(),
    file_bytes: z.number().int(),
    online_now: z.number().int(),
  })
  .openapi("Stats");
export type Stats = z.infer<typeof StatsSchema>;

// ── Exports ────────────────────────────────────────────────────────────────────────────────────

export const CreateExportBody = z
  .strictObject({ channel_ids: z.array(z.string().min(1).max(64)).min(1).max(1000).optional() })
  .openapi("CreateExportRequest");

/** `expired`: done, and its archive deleted EXPORT_RETENTION_DAYS later (the download answers 410 `export_expired`). */
export const EXPORT_STATUSES = ["running", "done", "failed", "expired"] as const;

export const ExportSchema = z
  .object({
    id: z.string(),
    status: z.enum(EXPORT_STATUSES).openapi({
      description:
        "`expired`: the archive was deleted EXPORT_RETENTION_DAYS after it was written (the download is then 410 `export_expired`).",
    }),
    download_url: z.string().optional().openapi({ description: "When done: GET it (as an admin) for the ZIP." }),
    size: z.number().int().optional().openapi({ description: "When done: the archive's size in bytes." }),
    error: z.string().optional(),
  })
  .openapi("Export");
export type ExportView = z.infer<typeof ExportSchema>;
export const ExportIdParam = z.object({ export_id: z.string().min(1).max(64) });
