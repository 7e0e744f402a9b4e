import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { MessageWithFiles, PendingMessage } from "../../../client/index.ts";
import { useColink, useStoreState } from "../context.ts";
import { day } from "../names.ts";
import { MessageItem, PendingItem } from "./MessageItem.tsx";

/** Within this long, consecutive messages of one author are shown as one group. */
const GROUP_MS = 5 * 60_000;

export const sameGroup = (prev: MessageWithFiles | undefined, m: MessageWithFiles) =>
  !!prev &&
  prev.author_id === m.author_id &&
  !prev.deleted &&
  Date.parse(m.created_at) - Date.parse(prev.created_at) < GROUP_MS &&
  day(prev.created_at) === day(m.created_at);

/**
 * The channel's history, oldest at the top: older pages load as the person scrolls up (keeping
 * what they look at in place); new messages keep the view at the bottom if it was there.
 */
export function MessageList(props: {
  channelId: string;
  editing: string | null;
  onEditing: (id: string | null) => void;
  /** A message to bring into view and mark (a search result): older pages load until it is there. */
  focus?: string | null;
}) {
  const colink = useColink();
  const state = useStoreState();
  const view = state.channels[props.channelId];
  const history = view?.history ?? null;
  const items = history?.items ?? [];
  const pending = Object.values(state.pending).filter((p: PendingMessage) => p.channelId === props.channelId && p.threadRootId === null);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const anchor = useRef<{ first: string | undefined; height: number }>({ first: undefined, height: 0 });
  const [loadingOlder, setLoadingOlder] = useState(false);
  // Where the person had read to when they opened the channel: the "New" line stays there while it is open.
  const readAtOpen = useRef<number | null>(null);
  if (readAtOpen.current === null && view)
    readAtOpen.current = view.lastSeq > view.lastReadSeq ? view.lastReadSeq : Number.MAX_SAFE_INTEGER;
  // A ref, not the state: several scroll events come before the state's next render.
  const loading = useRef(false);

  const loadOlder = async () => {
    if (loading.current || !history?.hasMoreBefore) return;
    loading.current = true;
    setLoadingOlder(true);
    try {
      await colink.store.loadOlder(props.channelId);
    } catch {
      // The next scroll tries again.
    } finally {
      loading.current = false;
      setLoadingOlder(false);
    }
  };

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = items[0]?.id;
    const prev = anchor.current;
    if (prev.first !== undefined && first !== prev.first && !atBottom.current) el.scrollTop += el.scrollHeight - prev.height;
    else if (atBottom.current) el.scrollTop = el.scrollHeight;
    anchor.current = { first, height: el.scrollHeight };
    // A first page shorter than the screen, or a view still at the top after a page landed (the
    // person scrolled up while it loaded): fetch more, until it scrolls or there is no more.
    if (history?.hasMoreBefore && (el.scrollHeight <= el.clientHeight + 40 || (el.scrollTop < 300 && !atBottom.current))) void loadOlder();
  });

  // The focused message: loaded (paging back a bounded number of times), scrolled to, marked.
  const focused = useRef<string | null>(null);
  const pagesBack = useRef(0);
  useEffect(() => {
    const id = props.focus;
    if (!id || focused.current === id || !history) return;
    const el = scroller.current?.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(id)}"]`);
    if (el) {
      focused.current = id;
      atBottom.current = false;
      el.scrollIntoView({ block: "center" });
      el.classList.add("focused");
      setTimeout(() => el.classList.remove("focused"), 4_000);
      return;
    }
    if (history.hasMoreBefore && pagesBack.current < 20) {
      pagesBack.current++;
      void loadOlder();
    }
  });
  useEffect(() => {
    pagesBack.current = 0;
  }, [props.focus]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    anchor.current.height = el.scrollHeight;
    if (el.scrollTop < 300) void loadOlder();
  };

  const rows: preact.ComponentChildren[] = [];
  let prev: MessageWithFiles | undefined;
  let newLine = false;
  for (const m of items) {
    // A deleted message leaves a mark only where its thread still has replies.
    if (m.deleted && m.reply_count === 0) continue;
    if (!prev || day(prev.created_at) !== day(m.created_at))
      rows.push(
        <div class="day" key={`day-${m.id}`}>
          <span>{day(m.created_at)}</span>
        </div>,
      );
    const isNew = !newLine && m.seq > (readAtOpen.current ?? Number.MAX_SAFE_INTEGER) && m.author_id !== state.me?.id;
    if (isNew) {
      newLine = true;
      rows.push(
        <div class="new-line" key="new-line">
          <span>New</span>
        </div>,
      );
    }
    rows.push(
      <MessageItem
        key={m.id}
        message={m}
        channelId={props.channelId}
        compact={!isNew && sameGroup(prev, m)}
        inThread={false}
        editing={props.editing === m.id}
        onEditing={(on) => props.onEditing(on ? m.id : null)}
      />,
    );
    prev = m;
  }

  return (
    <div class="message-scroller" ref={scroller} onScroll={onScroll}>
      {history && !history.hasMoreBefore && (
        <div class="history-start">
          <strong>This is the very beginning.</strong>
        </div>
      )}
      {history?.hasMoreBefore && <div class="loading-older">{loadingOlder ? "Loading older messages…" : ""}</div>}
      <div role="log" aria-label="Messages" aria-busy={!history} class="messages">
        {!history && <div class="loading">Loading messages…</div>}
        {rows}
        {pending.map((p) => (
          <PendingItem key={p.clientMsgId} pending={p} />
        ))}
      </div>
    </div>
  );
}
