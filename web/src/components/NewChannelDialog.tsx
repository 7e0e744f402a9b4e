import { useEffect, useState } from "preact/hooks";
import type { Channel } from "../../../src/protocol/channels";
import { useColink } from "../context.ts";
import { go } from "../route.ts";
import { Dialog } from "./Dialog.tsx";
import { ErrorLine, Field, problemText } from "./forms.tsx";

/** Create a channel, or join one of the public channels the person is not in. */
export function NewChannelDialog(props: { onClose: () => void }) {
  const colink = useColink();
  const [name, setName] = useState("");
  const [isPrivate, setPrivate] = useState(false);
  const [others, setOthers] = useState<Channel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    colink.api
      .channels({ joined: false, limit: 200 })
      .then((p) => setOthers(p.items.filter((c) => !c.archived)))
      .catch(() => setOthers([]));
  }, []);
  const enter = (c: Channel) => {
    colink.store.addChannel(c);
    go({ view: "channel", channelId: c.id, threadId: null });
    props.onClose();
  };
  return (
    <Dialog label="Channels" onClose={props.onClose}>
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            enter(await colink.api.createChannel({ name: name.trim().toLowerCase(), is_private: isPrivate }));
          } catch (err) {
            setError(problemText(err));
          }
        }}
      >
        <h2>Create a channel</h2>
        <Field label="Channel name" hint="Lowercase letters, digits, '-' and '_'">
          <input value={name} required onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. release-planning" />
        </Field>
        <label class="check">
          <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.currentTarget.checked)} /> Private: only invited people
          see it
        </label>
        <ErrorLine error={error} />
        <div class="row-end">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary">
            Create
          </button>
        </div>
      </form>
      <h2>Join a channel</h2>
      {!others && <p class="muted">Loading…</p>}
      {others?.length === 0 && <p class="muted">You are in every public channel.</p>}
      <ul class="browse">
        {others?.map((c) => (
          <li key={c.id}>
            <div>
              <strong># {c.name}</strong>
              <small>
                {c.member_count} members{c.topic ? ` · ${c.topic}` : ""}
              </small>
            </div>
            <button
              type="button"
              onClick={async () => {
                try {
                  enter(await colink.api.joinChannel(c.id));
                } catch (err) {
                  setError(problemText(err));
                }
              }}
            >
              Join
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
