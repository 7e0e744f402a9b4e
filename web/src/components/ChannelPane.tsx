import { useEffect, useState } from "preact/hooks";
import type { Channel } from "../../../src/protocol/channels";
import { useColink, useStoreState } from "../context.ts";
import { channelTitle, dmPartners, isDm } from "../names.ts";
import { go } from "../route.ts";
import { useAttachments, useFileDrop, useNoStrayDrops } from "../uploads.ts";
import { PresenceDot } from "./Avatar.tsx";
import { Composer } from "./Composer.tsx";
import { problemText } from "./forms.tsx";
import { MembersPanel } from "./MembersPanel.tsx";
import { MessageList } from "./MessageList.tsx";
import { PinsPanel } from "./PinsPanel.tsx";
import { ThreadPanel } from "./ThreadPanel.tsx";
import { TypingLine, useTyping } from "./Typing.tsx";

export function ChannelPane({ channelId, threadId, messageId }: { channelId: string; threadId: string | null; messageId?: string | null }) {
  const colink = useColink();
  const state = useStoreState();
  const view = state.channels[channelId];
  const [side, setSide] = useState<"pins" | "members" | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const typing = useTyping(channelId, null);
  const attachments = useAttachments(colink, channelId);
  // Files dragged over the channel: a drop attaches them to its composer.
  const drop = useFileDrop((files) => attachments.add(files), !!view?.channel.archived);
  useNoStrayDrops();

  useEffect(() => {
    const v = colink.store.state.channels[channelId];
    if (!v) return;
    if (!v.history) void colink.store.loadHistory(channelId).catch(() => {});
    if (!v.pins) void colink.store.loadPins(channelId).catch(() => {});
    if (!v.members) void colink.store.loadMembers(channelId).catch(() => {});
  }, [channelId, Boolean(view)]);

  // Read up to the newest message while the channel is on screen.
  useEffect(() => {
    if (!view || document.visibilityState !== "visible") return;
    if (view.unread > 0 || view.mentions > 0 || view.lastReadSeq < view.lastSeq) void colink.store.markRead(channelId);
  }, [channelId, view?.lastSeq, view?.unread, view?.mentions]);
  useEffect(() => {
    const on = () => {
      if (document.visibilityState === "visible") void colink.store.markRead(channelId);
    };
    document.addEventListener("visibilitychange", on);
    return () => document.removeEventListener("visibilitychange", on);
  }, [channelId]);

  // Escape closes the side panel (not while a dialog or an edit has the key).
  useEffect(() => {
    if (!threadId && !side) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || e.defaultPrevented || document.querySelector("dialog[open], .edit-box, .emoji-picker")) return;
      setSide(null);
      if (threadId) go({ view: "channel", channelId, threadId: null });
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [threadId, side, channelId]);

  if (!view) return <NotJoined channelId={channelId} />;

  const title = channelTitle(state, view);
  const dm = isDm(view);
  const partners = dm ? dmPartners(state, view) : [];
  const partner = partners.length === 1 ? partners[0] : undefined;
  const lastMine = () => {
    const items = view.history?.items ?? [];
    for (let i = items.length - 1; i >= 0; i--) {
      const m = items[i];
      if (m && m.author_id === state.me?.id && !m.deleted && m.thread_root_id === null) return m.id;
    }
    return null;
  };
  const closeSide = () => {
    setSide(null);
    if (threadId) go({ view: "channel", channelId, threadId: null });
  };

  return (
    <div class={`channel-layout${threadId || side ? " with-side" : ""}`}>
      <section class={drop.dragging ? "channel-pane dragging" : "channel-pane"} aria-label={dm ? title : `#${title}`} {...drop.handlers}>
        {drop.dragging && (
          <div class="drop-zone" aria-hidden="true">
            <span>Drop files to share them in {dm ? title : `#${title}`}</span>
          </div>
        )}
        <header class="channel-head">
          <div class="title">
            <h1>
              {partner && <PresenceDot status={state.presence[partner.id]?.status} />}
              {dm ? "" : view.channel.kind === "private" ? "🔒 " : "# "}
              {title}
            </h1>
            {view.channel.topic && <p class="topic">{view.channel.topic}</p>}
          </div>
          <div class="tools">
            {!dm && (
              <button
                type="button"
                class={side === "members" ? "toggle on" : "toggle"}
                aria-pressed={side === "members"}
                aria-label={`${view.channel.member_count} ${view.channel.member_count === 1 ? "member" : "members"}`}
                onClick={() => {
                  if (threadId) go({ view: "channel", channelId, threadId: null });
                  setSide(side === "members" ? null : "members");
                }}
              >
                👥 {view.channel.member_count}
                <span class="wide-only"> {view.channel.member_count === 1 ? "member" : "members"}</span>
              </button>
            )}
            <button
              type="button"
              class={side === "pins" ? "toggle on" : "toggle"}
              aria-pressed={side === "pins"}
              aria-label={`Pins${view.pins?.length ? ` (${view.pins.length})` : ""}`}
              onClick={() => {
                if (threadId) go({ view: "channel", channelId, threadId: null });
                setSide(side === "pins" ? null : "pins");
              }}
            >
              📌<span class="wide-only"> Pins</span>
              {view.pins?.length ? ` (${view.pins.length})` : ""}
            </button>
          </div>
        </header>
        <MessageList channelId={channelId} editing={editing} onEditing={setEditing} focus={messageId ?? null} />
        <TypingLine text={typing} />
        {view.channel.archived ? (
          <p class="archived-note">This channel is archived: read only.</p>
        ) : (
          <Composer
            channelId={channelId}
            threadRootId={null}
            label="Message"
            placeholder={dm ? `Message ${title}` : `Message #${title}`}
            onEditLast={() => setEditing(lastMine())}
            attachments={attachments}
          />
        )}
      </section>
      {threadId ? (
        <ThreadPanel channelId={channelId} rootId={threadId} onClose={closeSide} />
      ) : side === "pins" ? (
        <PinsPanel channelId={channelId} onClose={closeSide} />
      ) : side === "members" ? (
        <MembersPanel channelId={channelId} onClose={closeSide} />
      ) : null}
    </div>
  );
}

/** A channel the person is not in: public ones can be joined from here. */
function NotJoined({ channelId }: { channelId: string }) {
  const colink = useColink();
  const [channel, setChannel] = useState<Channel | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    colink.api
      .channel(channelId)
      .then(setChannel)
      .catch((e: unknown) => setError(problemText(e)));
  }, [channelId]);
  if (error)
    return (
      <div class="empty-main">
        <h2>Channel not found</h2>
        <p>{error}</p>
      </div>
    );
  if (!channel) return <div class="empty-main">Loading…</div>;
  return (
    <div class="empty-main">
      <h2># {channel.name}</h2>
      {channel.purpose && <p>{channel.purpose}</p>}
      <button
        type="button"
        class="primary"
        onClick={async () => {
          try {
            colink.store.addChannel(await colink.api.joinChannel(channelId));
          } catch (e) {
            setError(problemText(e));
          }
        }}
      >
        Join channel
      </button>
    </div>
  );
}
