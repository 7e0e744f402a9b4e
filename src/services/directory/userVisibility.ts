import type { Database } from "../../db/client";
import { type Viewer, visibleIds } from "../../db/visibleUsers";
import { notFound } from "../../lib/ColinkError";
import { config } from "../../lib/config";
import { isAdminRole } from "../../protocol/roles";

// Who sees whom in the directory. Members and admins see everyone; a guest sees themselves and the
// people they share a channel or DM with, and for a guest everyone else does not exist (404, as for
// channels they are not in). E-mail addresses are for admins, and for members when the workspace
// shows them (SHOW_EMAIL_TO_MEMBERS); everyone sees their own. The query itself is in
// db/visibleUsers.ts, shared with the socket's presence subscriptions.

/** Whether `viewer` sees other people's e-mail addresses. */
export const seesOthersEmail = (env: Env, viewer: Viewer) =>
  isAdminRole(viewer.role) || (viewer.role === "member" && config(env).SHOW_EMAIL_TO_MEMBERS);

/** 404 `user_not_found` unless `viewer` may see every one of `ids`: for a guest, the others do not exist. */
export async function requireVisibleUsers(db: Database, viewer: Viewer, ids: readonly string[]): Promise<void> {
  if (viewer.role !== "guest") return;
  const seen = await visibleIds(db, viewer, ids);
  if (ids.some((id) => !seen.has(id))) throw notFound("user");
}
