import { useState } from "preact/hooks";
import { useColink, useStoreState } from "../context.ts";
import { personName } from "../names.ts";
import { go } from "../route.ts";
import { Avatar, PresenceDot } from "./Avatar.tsx";
import { problemText } from "./forms.tsx";

/** Who is in the channel (with presence), adding people, leaving. */
export function MembersPanel(props: { channelId: string; onClose: () => void }) {
  const colink = useColink();
  const state = useStoreState();
  const view = state.channels[props.channelId];
  const [query, setQuery] = useState("");
  const [error, setError] = useState<string | null>(null);
  const members = view?.members ?? null;
  const inChannel = new Set(members?.map((m) => m.user_id));
  const q = query.trim().toLowerCase();
  const candidates = q
    ? Object.values(state.users)
        .filter((u) => !u.deactivated && !inChannel.has(u.id) && `${u.username} ${u.display_name}`.toLowerCase().includes(q))
        .slice(0, 8)
    : [];
  const sorted = (members ?? [])
    .map((m) => ({ m, u: state.users[m.user_id] }))
    .sort((a, b) => personName(a.u).localeCompare(personName(b.u)));

  return (
    <aside class="side-panel" aria-label="Members">
      <header class="side-head">
        <h2>Members</h2>
        <button type="button" class="icon" aria-label="Close members" onClick={props.onClose}>
          ×
        </button>
      </header>
      <div class="side-scroller">
        <div class="add-people">
          <input aria-label="Add people" placeholder="Add people by name" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
          {candidates.length > 0 && (
            <ul class="candidates">
              {candidates.map((u) => (
                <li key={u.id}>
                  <Avatar user={u} size={24} />
                  <span class="grow">
                    {personName(u)} <small class="muted">@{u.username}</small>
                  </span>
                  <button
                    type="button"
                    onClick={async () => {
                      setError(null);
                      try {
                        await colink.api.addMembers(props.channelId, [u.id]);
                        setQuery("");
                      } catch (e) {
                        setError(problemText(e));
                      }
                    }}
                  >
                    Add
                  </button>
                </li>
              ))}
            </ul>
          )}
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
        </div>
        {!members && <div class="loading">Loading…</div>}
        <ul class="member-list">
          {sorted.map(({ m, u }) => (
            <li key={m.user_id}>
              <Avatar user={u} size={28} />
              <span class="grow">
                {personName(u)}
                {m.role !== "member" && <small class="muted"> · {m.role}</small>}
                {u?.title && <small class="muted"> · {u.title}</small>}
              </span>
              <PresenceDot
                status={m.user_id === state.me?.id ? (state.presence[m.user_id]?.status ?? "active") : state.presence[m.user_id]?.status}
              />
            </li>
          ))}
        </ul>
        <div class="pad">
          <button
            type="button"
            class="danger"
            onClick={async () => {
              try {
                await colink.api.leaveChannel(props.channelId);
                go({ view: "home" });
              } catch (e) {
                setError(problemText(e));
              }
            }}
          >
            Leave channel
          </button>
        </div>
      </div>
    </aside>
  );
}
