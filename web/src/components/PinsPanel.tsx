import { useStoreState } from "../context.ts";
import { clock, personName } from "../names.ts";
import { go } from "../route.ts";
import { RichText } from "./RichText.tsx";

export function PinsPanel(props: { channelId: string; onClose: () => void }) {
  const state = useStoreState();
  const pins = state.channels[props.channelId]?.pins;
  return (
    <aside class="side-panel" aria-label="Pinned messages">
      <header class="side-head">
        <h2>Pinned messages</h2>
        <button type="button" class="icon" aria-label="Close pins" onClick={props.onClose}>
          ×
        </button>
      </header>
      <div class="side-scroller">
        {!pins && <div class="loading">Loading…</div>}
        {pins?.length === 0 && <p class="muted pad">Nothing is pinned yet. Pin a message from its 📌 button.</p>}
        <ul class="pins">
          {pins?.map((p) => (
            <li key={p.message_id} class="pin">
              <header>
                <span class="author">{personName(state.users[p.message.author_id])}</span>
                <time dateTime={p.message.created_at}>{clock(p.message.created_at)}</time>
              </header>
              {p.message.deleted ? (
                <p class="muted">This message was deleted.</p>
              ) : (
                <RichText text={p.message.text} me={state.me?.username ?? null} />
              )}
              <button
                type="button"
                class="link"
                onClick={() => go({ view: "channel", channelId: props.channelId, threadId: p.message_id })}
              >
                Open thread
              </button>
            </li>
          ))}
        </ul>
      </div>
    </aside>
  );
}
