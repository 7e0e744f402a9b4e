import { invalid } from "../../lib/ColinkError";
import { assertNotMuted } from "../../lib/mute";
import { channelRoom } from "../../lib/stubs";
import { canonicalEmoji, MAX_EMOJI_LENGTH } from "../../protocol/emoji";
import type { Message } from "../../protocol/messages";
import { actorOf } from "../actorOf";
import type { AuthUser } from "../auth/authUser";
import { roomValue } from "../roomValue";

/**
 * Adds (`present`) or removes the caller's reaction: idempotent, and only a change appends
 * `reaction.added` / `reaction.removed`. The emoji is made canonical first (`:+1:` is 👍), and
 * anything but one emoji or a built-in shortcode is a 422.
 */
export async function setReaction(
  env: Env,
  user: AuthUser,
  channelId: string,
  messageId: string,
  rawEmoji: string,
  present: boolean,
): Promise<Message> {
  assertNotMuted(user.mutedUntil);
  const emoji = canonicalEmoji(rawEmoji);
  if (emoji === null)
    throw invalid("emoji", `One Unicode emoji (at most ${MAX_EMOJI_LENGTH} UTF-16 code units) or a built-in :shortcode:.`, "invalid_emoji");
  return roomValue(await channelRoom(env, channelId).setReaction(actorOf(user), messageId, emoji, present));
}
