import { ColinkError, conflict, invalid, notFound } from "../../src/lib/ColinkError";
import { EMPTY_MESSAGE_ERROR } from "../../src/protocol/messages";

// The errors a ChannelRoom answers with in more than one place, each with its stable code.

/** An uncreated room, and a channel the caller may not see, look the same (invariant 5). */
export const channelNotFound = () => notFound("channel");
export const messageNotFound = () => notFound("message");
export const archivedError = () => conflict("channel_archived", "The channel is archived: it can be read but not changed.");
export const deletedError = () => conflict("message_deleted", "The message was deleted.");
export const invalidRoot = (path: string) =>
  invalid(path, "Threads start at an existing top-level message of this channel.", "invalid_thread_root");
/** Neither text nor files: the very problem the Worker's schema answers with (HTTP and socket alike). */
export const emptyMessage = () =>
  new ColinkError(422, "validation_failed", "Some fields are invalid.", { errors: [{ ...EMPTY_MESSAGE_ERROR }] });
