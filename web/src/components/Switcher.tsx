import { useState } from "preact/hooks";
import { useColink, useStoreState } from "../context.ts";
import { channelTitle, isDm, personName } from "../names.ts";
import { go } from "../route.ts";
import { Dialog } from "./Dialog.tsx";
import { problemText } from "./forms.tsx";

type Choice = { key: string; label: string; hint: string; run: () => void | Promise<void> };

/** Ctrl/Cmd+K: jump to a channel or DM by name, or open a DM with anyone. */
export function Switcher(props: { onClose: () => void; peopleOnly?: boolean }) {
  const colink = useColink();
  const state = useStoreState();
  const [query, setQuery] = useState("");
  const [index, setIndex] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const q = query.trim().toLowerCase().replace(/^[#@]/, "");

  const open = (channelId: string) => {
    go({ view: "channel", channelId, threadId: null });
    props.onClose();
  };
  const choices: Choice[] = [];
  if (!props.peopleOnly)
    for (const v of Object.values(state.channels)) {
      const label = channelTitle(state, v);
      if (q && !label.toLowerCase().includes(q)) continue;
      choices.push({
        key: v.channel.id,
        label: isDm(v) ? label : `#${label}`,
        hint: v.mentions ? `${v.mentions} mentions` : v.unread ? `${v.unread} unread` : isDm(v) ? "direct message" : "channel",
        run: () => open(v.channel.id),
      });
    }
  for (const u of Object.values(state.users)) {
    if (u.id === state.me?.id || u.deactivated) continue;
    if (q && !`${u.username} ${u.display_name}`.toLowerCase().includes(q)) continue;
    choices.push({
      key: u.id,
      label: personName(u),
      hint: `@${u.username}`,
      run: async () => {
        try {
          const dm = await colink.api.openDm([u.id]);
          colink.store.addChannel(dm);
          open(dm.id);
        } catch (e) {
          setError(problemText(e));
        }
      },
    });
  }
  choices.sort(
    (a, b) =>
      Number(b.hint.includes("unread") || b.hint.includes("mention")) - Number(a.hint.includes("unread") || a.hint.includes("mention")),
  );
  const shown = choices.slice(0, 50);
  const at = Math.min(index, Math.max(0, shown.length - 1));

  return (
    <Dialog label={props.peopleOnly ? "New direct message" : "Switch channel"} onClose={props.onClose}>
      <div class="switcher">
        <input
          aria-label={props.peopleOnly ? "Find a person" : "Find a channel or person"}
          placeholder={props.peopleOnly ? "Find a person" : "Jump to a channel or person…"}
          value={query}
          role="combobox"
          aria-expanded="true"
          aria-controls="switcher-list"
          aria-activedescendant={shown[at] ? `choice-${shown[at].key}` : undefined}
          autofocus
          onInput={(e) => {
            setQuery(e.currentTarget.value);
            setIndex(0);
          }}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown") {
              e.preventDefault();
              setIndex(Math.min(at + 1, shown.length - 1));
            } else if (e.key === "ArrowUp") {
              e.preventDefault();
              setIndex(Math.max(at - 1, 0));
            } else if (e.key === "Enter") {
              e.preventDefault();
              void shown[at]?.run();
            }
          }}
        />
        <div id="switcher-list" role="listbox" aria-label="Matches" class="choices">
          {shown.map((c, i) => (
            <div
              key={c.key}
              tabIndex={-1}
              id={`choice-${c.key}`}
              role="option"
              aria-selected={i === at}
              class={i === at ? "selected" : ""}
              onMouseEnter={() => setIndex(i)}
              onClick={() => void c.run()}
              onKeyDown={() => {}}
            >
              <span>{c.label}</span>
              <small>{c.hint}</small>
            </div>
          ))}
          {!shown.length && <p class="muted">Nothing matches</p>}
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </div>
    </Dialog>
  );
}
