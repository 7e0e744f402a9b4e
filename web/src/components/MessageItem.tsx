import { useEffect, useRef, useState } from "preact/hooks";
import type { MessageWithFiles, PendingMessage } from "../../../client/index.ts";
import { useColink, useStoreState } from "../context.ts";
import { clock, personName } from "../names.ts";
import { go } from "../route.ts";
import { Avatar } from "./Avatar.tsx";
import { EmojiPicker } from "./EmojiPicker.tsx";
import { MessageFiles } from "./Files.tsx";
import { ReportDialog } from "./ReportDialog.tsx";
import { RichText } from "./RichText.tsx";

const MODERATORS = new Set(["owner", "admin"]);

export function MessageItem(props: {
  message: MessageWithFiles;
  channelId: string;
  compact: boolean;
  inThread: boolean;
  editing: boolean;
  onEditing: (on: boolean) => void;
}) {
  const colink = useColink();
  const state = useStoreState();
  const m = props.message;
  const author = state.users[m.author_id];
  const me = state.me;
  const mine = m.author_id === me?.id;
  const view = state.channels[props.channelId];
  const pinned = view?.pins?.some((p) => p.message_id === m.id) ?? false;
  const [picker, setPicker] = useState(false);
  const [reporting, setReporting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const canDelete = mine || (me && MODERATORS.has(me.role));
  const fail = (e: unknown) => setError(e instanceof Error ? e.message : String(e));

  if (m.deleted)
    return (
      <article class="message deleted" aria-label={`Deleted message from ${personName(author)}`}>
        <div class="gutter" />
        <div class="body">
          <p class="muted">This message was deleted.</p>
        </div>
      </article>
    );

  const react = (emoji: string) => {
    const on = !m.reactions.some((r) => r.emoji === emoji && me && r.user_ids.includes(me.id));
    colink.api.react(props.channelId, m.id, emoji, on).catch(fail);
  };

  return (
    <article
      class={`message${props.compact ? " compact" : ""}${m.mentions.user_ids.includes(me?.id ?? "") ? " mentioned" : ""}`}
      aria-label={`${personName(author)}, ${clock(m.created_at)}`}
      data-message-id={m.id}
    >
      <div class="gutter">
        {props.compact ? (
          <time class="hover-time" dateTime={m.created_at}>
            {clock(m.created_at)}
          </time>
        ) : (
          <Avatar user={author} />
        )}
      </div>
      <div class="body">
        {!props.compact && (
          <header>
            <span class="author">{personName(author)}</span>
            <time dateTime={m.created_at} title={new Date(m.created_at).toLocaleString()}>
              {clock(m.created_at)}
            </time>
            {pinned && <span class="pinned-tag">📌 pinned</span>}
          </header>
        )}
        {props.editing ? (
          <EditBox
            text={m.text}
            onCancel={() => props.onEditing(false)}
            onSave={(text) => {
              props.onEditing(false);
              if (text !== m.text) colink.api.edit(props.channelId, m.id, text).catch(fail);
            }}
          />
        ) : (
          <RichText text={m.text} me={me?.username ?? null} edited={m.edited_at !== null} />
        )}
        <MessageFiles files={m.files ?? []} />
        {m.reactions.length > 0 && (
          <div class="reactions">
            {m.reactions.map((r) => {
              const minePressed = !!me && r.user_ids.includes(me.id);
              const who = r.user_ids.map((id) => personName(state.users[id])).join(", ");
              return (
                <button
                  type="button"
                  key={r.emoji}
                  class={minePressed ? "reaction mine" : "reaction"}
                  aria-pressed={minePressed}
                  aria-label={`${r.emoji} ${r.count}`}
                  title={who}
                  onClick={() => react(r.emoji)}
                >
                  <span class="emoji">{r.emoji}</span> {r.count}
                </button>
              );
            })}
            <button type="button" class="reaction add" aria-label="Add reaction" onClick={() => setPicker(true)}>
              ☺+
            </button>
          </div>
        )}
        {!props.inThread && m.reply_count > 0 && (
          <button type="button" class="thread-summary" onClick={() => go({ view: "channel", channelId: props.channelId, threadId: m.id })}>
            {m.reply_count} {m.reply_count === 1 ? "reply" : "replies"}
            {m.last_reply_at && <span class="muted"> · last {clock(m.last_reply_at)}</span>}
          </button>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </div>
      <div class="actions" role="toolbar" aria-label="Message actions">
        <button type="button" aria-label="Add reaction" title="Add reaction" onClick={() => setPicker(true)}>
          ☺
        </button>
        {!props.inThread && (
          <button
            type="button"
            aria-label="Reply in thread"
            title="Reply in thread"
            onClick={() => go({ view: "channel", channelId: props.channelId, threadId: m.id })}
          >
            💬
          </button>
        )}
        <button
          type="button"
          aria-label={pinned ? "Unpin" : "Pin"}
          title={pinned ? "Unpin" : "Pin"}
          onClick={() => (pinned ? colink.api.unpin(props.channelId, m.id) : colink.api.pin(props.channelId, m.id)).catch(fail)}
        >
          📌
        </button>
        {mine && (
          <button type="button" aria-label="Edit" title="Edit" onClick={() => props.onEditing(true)}>
            ✎
          </button>
        )}
        {!mine && (
          <button type="button" aria-label="Report message" title="Report to the admins" onClick={() => setReporting(true)}>
            ⚑
          </button>
        )}
        {canDelete && (
          <button
            type="button"
            aria-label="Delete"
            title="Delete"
            onClick={() => {
              if (confirm("Delete this message?")) colink.api.deleteMessage(props.channelId, m.id).catch(fail);
            }}
          >
            🗑
          </button>
        )}
      </div>
      {reporting && <ReportDialog channelId={props.channelId} messageId={m.id} onClose={() => setReporting(false)} />}
      {picker && (
        <EmojiPicker
          onPick={(emoji) => {
            setPicker(false);
            react(emoji);
          }}
          onClose={() => setPicker(false)}
        />
      )}
    </article>
  );
}

function EditBox(props: { text: string; onSave: (text: string) => void; onCancel: () => void }) {
  const [text, setText] = useState(props.text);
  const box = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);
  const save = () => (text.trim() ? props.onSave(text.replace(/\s+$/, "")) : props.onCancel());
  return (
    <div class="edit-box">
      <textarea
        ref={box}
        aria-label="Edit message"
        value={text}
        rows={Math.min(8, text.split("\n").length)}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            save();
          } else if (e.key === "Escape") props.onCancel();
        }}
      />
      <div class="edit-actions">
        <span class="muted">Enter to save · Escape to cancel</span>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="primary" onClick={save}>
          Save
        </button>
      </div>
    </div>
  );
}

/** A message on its way (or failed), shown where it will land. */
export function PendingItem({ pending }: { pending: PendingMessage }) {
  const colink = useColink();
  const state = useStoreState();
  return (
    <article class={`message pending ${pending.status}`} aria-label={`${personName(state.me ?? undefined)}, sending`}>
      <div class="gutter">
        <Avatar user={state.me ?? undefined} />
      </div>
      <div class="body">
        <header>
          <span class="author">{personName(state.me ?? undefined)}</span>
          <span class="muted">{pending.status === "sending" ? "sending…" : "not sent"}</span>
        </header>
        <RichText text={pending.text} me={state.me?.username ?? null} />
        {pending.fileIds.length > 0 && (
          <p class="muted">
            {pending.fileIds.length} {pending.fileIds.length === 1 ? "file" : "files"} attached
          </p>
        )}
        {pending.status === "failed" && (
          <p class="error" role="alert">
            {pending.error}{" "}
            <button type="button" class="link" onClick={() => colink.store.retrySend(pending.clientMsgId)}>
              Retry
            </button>{" "}
            <button type="button" class="link" onClick={() => colink.store.discardPending(pending.clientMsgId)}>
              Discard
            </button>
          </p>
        )}
      </div>
    </article>
  );
}
