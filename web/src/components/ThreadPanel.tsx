import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { useColink, useStoreState } from "../context.ts";
import { useAttachments, useFileDrop } from "../uploads.ts";
import { Composer } from "./Composer.tsx";
import { MessageItem, PendingItem } from "./MessageItem.tsx";
import { sameGroup } from "./MessageList.tsx";
import { TypingLine, useTyping } from "./Typing.tsx";

export function ThreadPanel(props: { channelId: string; rootId: string; onClose: () => void }) {
  const colink = useColink();
  const state = useStoreState();
  const thread = state.threads[props.rootId];
  const view = state.channels[props.channelId];
  const root =
    view?.history?.items.find((m) => m.id === props.rootId) ?? view?.pins?.find((p) => p.message_id === props.rootId)?.message ?? null;
  const pending = Object.values(state.pending).filter((p) => p.threadRootId === props.rootId);
  const typing = useTyping(props.channelId, props.rootId);
  const [editing, setEditing] = useState<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const attachments = useAttachments(colink, props.channelId);
  const drop = useFileDrop((files) => attachments.add(files), !!view?.channel.archived);

  useEffect(() => {
    void colink.store.loadThread(props.channelId, props.rootId).catch(() => {});
    return () => colink.store.closeThread(props.rootId);
  }, [props.channelId, props.rootId]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [thread?.replies.length, pending.length]);

  const replies = thread?.replies ?? [];
  const lastMine = () => [...replies].reverse().find((m) => m.author_id === state.me?.id && !m.deleted)?.id ?? null;

  return (
    <aside class={drop.dragging ? "side-panel dragging" : "side-panel"} aria-label="Thread" {...drop.handlers}>
      {drop.dragging && (
        <div class="drop-zone" aria-hidden="true">
          <span>Drop files to reply with them</span>
        </div>
      )}
      <header class="side-head">
        <h2>Thread</h2>
        <button type="button" class="icon" aria-label="Close thread" onClick={props.onClose}>
          ×
        </button>
      </header>
      <div class="side-scroller" ref={scroller}>
        {root && (
          <div class="thread-root">
            <MessageItem
              message={root}
              channelId={props.channelId}
              compact={false}
              inThread
              editing={editing === root.id}
              onEditing={(on) => setEditing(on ? root.id : null)}
            />
            <div class="reply-count">
              {root.reply_count} {root.reply_count === 1 ? "reply" : "replies"}
            </div>
          </div>
        )}
        <div role="log" aria-label="Replies" class="messages">
          {!thread && <div class="loading">Loading replies…</div>}
          {replies.map((m, i) => (
            <MessageItem
              key={m.id}
              message={m}
              channelId={props.channelId}
              compact={sameGroup(replies[i - 1], m)}
              inThread
              editing={editing === m.id}
              onEditing={(on) => setEditing(on ? m.id : null)}
            />
          ))}
          {pending.map((p) => (
            <PendingItem key={p.clientMsgId} pending={p} />
          ))}
        </div>
      </div>
      <TypingLine text={typing} />
      <Composer
        channelId={props.channelId}
        threadRootId={props.rootId}
        label="Reply"
        placeholder="Reply…"
        onEditLast={() => setEditing(lastMine())}
        attachments={attachments}
      />
    </aside>
  );
}
