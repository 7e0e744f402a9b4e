import type { ChannelEvent } from "../src/protocol/channelEvents";
import type { Channel, ChannelMember, ChannelReadState } from "../src/protocol/channels";
import type { Message } from "../src/protocol/messages";
import type { Pin } from "../src/protocol/pins";
import type { PresenceView } from "../src/protocol/presence";
import type { Role } from "../src/protocol/roles";
import type { ThreadState } from "../src/protocol/threads";
import type { UserView } from "../src/protocol/users";
import type {
  AuditEntry,
  ChannelSearchPage,
  CreatedFile,
  CreatedInvite,
  FileHit,
  FileInfo,
  InviteRequest,
  InviteSummary,
  LoginSession,
  MessageHit,
  Report,
  ReportAction,
  ReportReason,
  SearchPage,
  WorkspaceStats,
} from "./contract.ts";
import type { HttpClient, RequestOptions } from "./http.ts";
import { type BytesSender, type UploadOptions, type UploadSource, uploadFile } from "./upload.ts";

// One typed method per HTTP call of the public API (API.md and the README's extensions). Bodies
// and results are the src/protocol types; the routes validate with the same schemas, and
// test/client/apiMatchesApp.ts checks these signatures against the server's Hono AppType.

export type AuthResult = { user: UserView; access_token: string; refresh_token: string; token_type: "Bearer"; expires_in: number };
export type RegisterRequest = { email: string; username: string; password: string; display_name?: string; invite_token?: string };
export type ProfileUpdate = Partial<Pick<UserView, "display_name" | "title" | "timezone" | "status_text" | "status_emoji">>;
export type Page<T> = { items: T[]; next_cursor: string | null };
export type SendRequest = {
  text: string;
  client_msg_id?: string;
  thread_root_id?: string;
  also_send_to_channel?: boolean;
  file_ids?: string[];
};

const enc = encodeURIComponent;

export class ColinkApi {
  readonly http: HttpClient;

  constructor(http: HttpClient) {
    this.http = http;
  }

  #get<T>(path: string, options?: RequestOptions) {
    return this.http.request<T>("GET", path, options);
  }

  // ── Auth ──────────────────────────────────────────────────────────────────────────────────
  register(body: RegisterRequest) {
    return this.http.request<AuthResult>("POST", "/auth/register", { body, auth: false });
  }
  login(login: string, password: string) {
    return this.http.request<AuthResult>("POST", "/auth/login", { body: { login, password }, auth: false });
  }
  refresh(refreshToken: string) {
    return this.http.request<AuthResult>("POST", "/auth/refresh", { body: { refresh_token: refreshToken }, auth: false });
  }
  logout() {
    return this.http.request<void>("POST", "/auth/logout", { idempotent: true });
  }
  logoutAll() {
    return this.http.request<void>("POST", "/auth/logout-all", { idempotent: true });
  }
  changePassword(currentPassword: string, newPassword: string) {
    return this.http.request<void>("POST", "/auth/password", { body: { current_password: currentPassword, new_password: newPassword } });
  }
  sessions() {
    return this.#get<{ items: LoginSession[] }>("/users/me/sessions");
  }
  endSession(sessionId: string) {
    return this.http.request<void>("DELETE", `/users/me/sessions/${enc(sessionId)}`);
  }
  socketTicket() {
    // A ticket is single use, so asking again after a lost answer only mints another.
    return this.http.request<{ ticket: string; expires_at: string }>("POST", "/ws/ticket", { idempotent: true });
  }

  // ── Users and presence ────────────────────────────────────────────────────────────────────
  me() {
    return this.#get<UserView>("/users/me");
  }
  updateMe(patch: ProfileUpdate) {
    return this.http.request<UserView>("PATCH", "/users/me", { body: patch, idempotent: true });
  }
  users(query: { query?: string; cursor?: string; limit?: number } = {}) {
    return this.#get<Page<UserView>>("/users", { query });
  }
  /** Every user of the workspace, page by page. */
  async allUsers(): Promise<UserView[]> {
    const out: UserView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.users({ cursor, limit: 200 });
      out.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return out;
  }
  user(userId: string) {
    return this.#get<UserView>(`/users/${enc(userId)}`);
  }
  presence(userIds: string[]) {
    return this.#get<{ items: PresenceView[] }>("/users/presence", { query: { ids: userIds.join(",") } });
  }
  setPresence(status: "active" | "away" | "dnd", dndUntil?: string | null) {
    return this.http.request<PresenceView>("PUT", "/users/me/presence", { body: { status, ...(dndUntil ? { dnd_until: dndUntil } : {}) } });
  }

  // ── Channels and DMs ──────────────────────────────────────────────────────────────────────
  createChannel(body: { name: string; is_private?: boolean; topic?: string; purpose?: string }) {
    return this.http.request<Channel>("POST", "/channels", { body });
  }
  channels(query: { joined?: boolean; cursor?: string; limit?: number } = {}) {
    return this.#get<Page<Channel>>("/channels", { query });
  }
  channel(channelId: string) {
    return this.#get<Channel>(`/channels/${enc(channelId)}`);
  }
  updateChannel(channelId: string, patch: { name?: string; topic?: string; purpose?: string }) {
    return this.http.request<Channel>("PATCH", `/channels/${enc(channelId)}`, { body: patch, idempotent: true });
  }
  archiveChannel(channelId: string) {
    return this.http.request<Channel>("POST", `/channels/${enc(channelId)}/archive`);
  }
  unarchiveChannel(channelId: string) {
    return this.http.request<Channel>("POST", `/channels/${enc(channelId)}/unarchive`);
  }
  joinChannel(channelId: string) {
    return this.http.request<Channel>("POST", `/channels/${enc(channelId)}/join`, { idempotent: true });
  }
  leaveChannel(channelId: string) {
    return this.http.request<void>("POST", `/channels/${enc(channelId)}/leave`, { idempotent: true });
  }
  members(channelId: string, query: { cursor?: string; limit?: number } = {}) {
    return this.#get<Page<ChannelMember>>(`/channels/${enc(channelId)}/members`, { query });
  }
  async allMembers(channelId: string): Promise<ChannelMember[]> {
    const out: ChannelMember[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.members(channelId, { cursor, limit: 1000 });
      out.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return out;
  }
  addMembers(channelId: string, userIds: string[]) {
    return this.http.request<Channel>("POST", `/channels/${enc(channelId)}/members`, { body: { user_ids: userIds }, idempotent: true });
  }
  removeMember(channelId: string, userId: string) {
    return this.http.request<void>("DELETE", `/channels/${enc(channelId)}/members/${enc(userId)}`);
  }
  openDm(userIds: string[]) {
    return this.http.request<Channel>("POST", "/dms", { body: { user_ids: userIds }, idempotent: true });
  }
  myChannels() {
    return this.#get<{ items: ChannelReadState[] }>("/users/me/channels");
  }
  markRead(channelId: string, seq: number) {
    // The marker never moves backwards, so repeating it is harmless.
    return this.http.request<ChannelReadState>("POST", `/channels/${enc(channelId)}/read`, { body: { seq }, idempotent: true });
  }
  events(channelId: string, query: { after?: number; limit?: number } = {}) {
    return this.#get<{ items: ChannelEvent[]; has_more: boolean }>(`/channels/${enc(channelId)}/events`, { query });
  }

  // ── Messages, threads, reactions, pins ────────────────────────────────────────────────────
  history(channelId: string, query: { before?: number; after?: number; limit?: number } = {}) {
    return this.#get<{ items: Message[]; has_more: boolean }>(`/channels/${enc(channelId)}/messages`, { query });
  }
  /**
   * Sends a message. Give a `client_msg_id` (the store always does) and the send becomes
   * idempotent: it is retried after network errors and a retry never makes a second message.
   */
  send(channelId: string, body: SendRequest) {
    return this.http.request<Message>("POST", `/channels/${enc(channelId)}/messages`, {
      body,
      idempotent: body.client_msg_id !== undefined,
    });
  }
  edit(channelId: string, messageId: string, text: string) {
    return this.http.request<Message>("PATCH", `/channels/${enc(channelId)}/messages/${enc(messageId)}`, {
      body: { text },
      idempotent: true,
    });
  }
  deleteMessage(channelId: string, messageId: string) {
    return this.http.request<void>("DELETE", `/channels/${enc(channelId)}/messages/${enc(messageId)}`);
  }
  replies(channelId: string, rootId: string, query: { after?: number; limit?: number } = {}) {
    return this.#get<{ items: Message[]; has_more: boolean }>(`/channels/${enc(channelId)}/messages/${enc(rootId)}/replies`, { query });
  }
  follow(channelId: string, rootId: string, following: boolean) {
    return this.http.request<ThreadState>(following ? "PUT" : "DELETE", `/channels/${enc(channelId)}/messages/${enc(rootId)}/follow`);
  }
  markThreadRead(channelId: string, rootId: string, seq: number) {
    return this.http.request<ThreadState>("POST", `/channels/${enc(channelId)}/messages/${enc(rootId)}/replies/read`, {
      body: { seq },
      idempotent: true,
    });
  }
  myThreads(limit = 50) {
    return this.#get<{ items: ThreadState[] }>("/users/me/threads", { query: { limit } });
  }
  react(channelId: string, messageId: string, emoji: string, on = true) {
    return this.http.request<Message>(
      on ? "PUT" : "DELETE",
      `/channels/${enc(channelId)}/messages/${enc(messageId)}/reactions/${enc(emoji)}`,
    );
  }
  pins(channelId: string) {
    return this.#get<{ items: Pin[] }>(`/channels/${enc(channelId)}/pins`);
  }
  pin(channelId: string, messageId: string) {
    return this.http.request<Pin>("PUT", `/channels/${enc(channelId)}/pins/${enc(messageId)}`);
  }
  unpin(channelId: string, messageId: string) {
    return this.http.request<void>("DELETE", `/channels/${enc(channelId)}/pins/${enc(messageId)}`);
  }
  reportMessage(channelId: string, messageId: string, reason: ReportReason, comment?: string) {
    return this.http.request<unknown>("POST", `/channels/${enc(channelId)}/messages/${enc(messageId)}/report`, {
      body: { reason, ...(comment ? { comment } : {}) },
    });
  }

  // ── Files (API.md "Files") ────────────────────────────────────────────────────────────────
  createFile(body: { filename: string; content_type: string; size: number; channel_id?: string }) {
    return this.http.request<CreatedFile>("POST", "/files", { body });
  }
  completeFile(fileId: string) {
    return this.http.request<FileInfo>("POST", `/files/${enc(fileId)}/complete`, { idempotent: true });
  }
  /**
   * All three steps: create, send the bytes (with upload progress in browsers, to wherever
   * `upload.url` points), complete. The file comes back `scanning`; `file.updated` tells the rest.
   */
  upload(source: UploadSource, options: UploadOptions = {}, send?: BytesSender) {
    return uploadFile(this, source, options, send);
  }
  file(fileId: string) {
    return this.#get<FileInfo>(`/files/${enc(fileId)}`);
  }
  deleteFile(fileId: string) {
    return this.http.request<void>("DELETE", `/files/${enc(fileId)}`);
  }
  /** Where a file's bytes (or its thumbnail) are served; the request needs the bearer token. */
  fileUrl(fileId: string, variant: "content" | "thumbnail" = "content"): string {
    return this.http.url(`/files/${enc(fileId)}/${variant}`);
  }
  /** The bytes of a clean file (or its thumbnail), fetched with the bearer token (an <img> cannot send one). */
  async fileBlob(fileId: string, variant: "content" | "thumbnail" = "content", signal?: AbortSignal): Promise<Blob> {
    const res = await this.http.send("GET", `/files/${enc(fileId)}/${variant}`, { signal });
    return res.blob();
  }

  // ── Search (API.md "Search") ──────────────────────────────────────────────────────────────
  /** Messages matching `q` (words, "phrases", -exclusions, from:@ in:# has:file has:link is:thread before: after: on:). */
  searchMessages(query: { q: string; cursor?: string; limit?: number; sort?: "relevance" | "recent" }) {
    return this.#get<SearchPage<MessageHit>>("/search/messages", { query });
  }
  searchChannels(query: { q: string; cursor?: string; limit?: number }) {
    return this.#get<ChannelSearchPage>("/search/channels", { query });
  }
  /** Files by name (with from:@, in:#, before:/after:/on:); highlights are offsets into `file.filename`. */
  searchFiles(query: { q: string; cursor?: string; limit?: number }) {
    return this.#get<SearchPage<FileHit>>("/search/files", { query });
  }

  // ── Administration (API.md "Users" Admin, "Admin and moderation") ─────────────────────────
  changeRole(userId: string, role: Role) {
    return this.http.request<UserView>("PATCH", `/admin/users/${enc(userId)}`, { body: { role }, idempotent: true });
  }
  deactivateUser(userId: string) {
    return this.http.request<UserView>("POST", `/admin/users/${enc(userId)}/deactivate`, { idempotent: true });
  }
  reactivateUser(userId: string) {
    return this.http.request<UserView>("POST", `/admin/users/${enc(userId)}/reactivate`, { idempotent: true });
  }
  createInvite(body: InviteRequest = {}) {
    return this.http.request<CreatedInvite>("POST", "/admin/invites", { body });
  }
  invites() {
    return this.#get<{ items: InviteSummary[] }>("/admin/invites");
  }
  revokeInvite(inviteId: string) {
    return this.http.request<void>("DELETE", `/admin/invites/${enc(inviteId)}`);
  }
  reports(query: { status?: "open" | "resolved"; cursor?: string; limit?: number } = {}) {
    return this.#get<Page<Report>>("/admin/reports", { query });
  }
  resolveReport(reportId: string, action: ReportAction, note?: string) {
    return this.http.request<Report>("POST", `/admin/reports/${enc(reportId)}/resolve`, { body: { action, ...(note ? { note } : {}) } });
  }
  /** The audit log, newest first; pass `next_cursor` back as `cursor` for the next page. */
  audit(query: { action?: string; actor_id?: string; target_id?: string; cursor?: string; limit?: number } = {}) {
    return this.#get<Page<AuditEntry>>("/admin/audit", { query });
  }
  stats() {
    return this.#get<WorkspaceStats>("/admin/stats");
  }
  passwordReset(userId: string) {
    return this.http.request<{ reset_token: string; expires_at: string }>("POST", `/admin/users/${enc(userId)}/password-reset`);
  }
}
