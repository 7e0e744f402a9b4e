import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { channels, users } from "../../db/schema";
import type { Role } from "../../protocol/roles";
import type { AuthUser } from "../auth/authUser";
import { emitUserEvent } from "../emitUserEvent";
import { createRoom, joinChannel } from "./channels";

/** The channel every non-guest is in from the start. */
export const GENERAL_CHANNEL_NAME = "general";

/**
 * Runs once after any account is created (built-in sign-up or first OIDC sight): puts every
 * non-guest into #general, creating #general with the owner account.
 */
export async function onUserCreated(env: Env, db: Database, created: { id: string; role: Role }): Promise<void> {
  if (created.role === "guest") return;
  const user = await db
    .select({ id: users.id, username: users.username, role: users.role, displayName: users.displayName })
    .from(users)
    .where(eq(users.id, created.id))
    .get();
  if (!user) throw new Error(`onUserCreated: no user ${created.id}`);
  const generalId = (await findGeneral(db)) ?? (await createGeneral(env, db, user));
  await joinChannel(env, db, user, generalId);
}

async function findGeneral(db: Database): Promise<string | undefined> {
  return (await db.select({ id: channels.id }).from(channels).where(eq(channels.name, GENERAL_CHANNEL_NAME)).get())?.id;
}

/** Creates #general; if a concurrent sign-up created it first, that one is used. */
async function createGeneral(env: Env, db: Database, user: AuthUser): Promise<string> {
  const result = await createRoom(env, db, {
    kind: "public",
    name: GENERAL_CHANNEL_NAME,
    topic: "",
    purpose: "Everyone in the workspace.",
    createdBy: user.id,
    members: [{ user_id: user.id, username: user.username, role: "admin" }],
    dmKey: null,
  });
  if ("channel" in result) {
    await emitUserEvent(env, [user.id], "channel.added", { channel: result.channel });
    return result.channel.id;
  }
  const winner = await findGeneral(db);
  if (!winner) throw new Error(`#general was taken (${result.taken}) but cannot be read back`);
  return winner;
}
