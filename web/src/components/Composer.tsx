import { useEffect, useRef, useState } from "preact/hooks";
import { useColink } from "../context.ts";

// Enter sends, Shift+Enter is a newline (and Enter while an input method is composing stays
// with it), Up in an empty box edits the person's last message. Typing tells the others.

export function Composer(props: {
  channelId: string;
  threadRootId: string | null;
  label: string;
  placeholder: string;
  onEditLast?: () => void;
}) {
  const colink = useColink();
  const [text, setText] = useState("");
  const box = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    box.current?.focus();
  }, [props.channelId, props.threadRootId]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.style.height = "auto";
    // A box laid out while hidden (the phone layout's channel list is open) measures 0: keep "auto".
    if (el.scrollHeight > 0) el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [text]);

  const send = () => {
    const body = text.trim() ? text.replace(/\s+$/, "") : "";
    if (!body) return;
    setText("");
    void colink.store.send(props.channelId, body, { threadRootId: props.threadRootId });
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <textarea
        ref={box}
        aria-label={props.label}
        placeholder={props.placeholder}
        rows={1}
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          if (e.currentTarget.value) colink.typing(props.channelId, props.threadRootId);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          } else if (e.key === "ArrowUp" && !text && props.onEditLast) {
            e.preventDefault();
            props.onEditLast();
          }
        }}
      />
      <button type="submit" class="send" aria-label="Send" disabled={!text.trim()}>
        ➤
      </button>
    </form>
  );
}
