import { useEffect, useRef, useState } from "preact/hooks";
import { useColink } from "../context.ts";
import { type Attachments, useAttachments } from "../uploads.ts";
import { AttachmentTray } from "./Files.tsx";
import { PaperclipIcon } from "./Icons.tsx";

// Enter sends, Shift+Enter is a newline (and Enter while an input method is composing stays
// with it), Up in an empty box edits the person's last message. Typing tells the others. Files
// come by the attach button, by pasting, or (for the channel's composer) by dropping them on
// the channel: each uploads at once and the message carries them when sent.

export function Composer(props: {
  channelId: string;
  threadRootId: string | null;
  label: string;
  placeholder: string;
  onEditLast?: () => void;
  /** The channel pane's attachments (it takes drops too); a thread's composer keeps its own. */
  attachments?: Attachments;
}) {
  const colink = useColink();
  const [text, setText] = useState("");
  const box = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const own = useAttachments(colink, props.channelId);
  const attachments = props.attachments ?? own;
  const hasFiles = attachments.items.length > 0;

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

  const canSend = (text.trim() !== "" || hasFiles) && attachments.ready;
  const send = () => {
    if (!canSend) return;
    const body = text.trim() ? text.replace(/\s+$/, "") : "";
    const fileIds = attachments.fileIds;
    setText("");
    attachments.clear();
    void colink.store.send(props.channelId, body, { threadRootId: props.threadRootId, fileIds });
  };

  return (
    <form
      class={hasFiles ? "composer with-files" : "composer"}
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <AttachmentTray attachments={attachments} />
      <div class="composer-row">
        <button
          type="button"
          class="attach"
          aria-label="Attach files"
          title="Attach files (or drop or paste them)"
          onClick={() => picker.current?.click()}
        >
          <PaperclipIcon />
        </button>
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          tabIndex={-1}
          aria-hidden="true"
          onChange={(e) => {
            const files = e.currentTarget.files;
            if (files?.length) attachments.add(files);
            e.currentTarget.value = "";
          }}
        />
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
          onPaste={(e) => {
            const files = e.clipboardData?.files;
            if (files?.length) {
              e.preventDefault();
              attachments.add(files);
            }
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              send();
            } else if (e.key === "ArrowUp" && !text && !hasFiles && props.onEditLast) {
              e.preventDefault();
              props.onEditLast();
            }
          }}
        />
        <button
          type="submit"
          class="send"
          aria-label="Send"
          title={hasFiles && !attachments.ready ? "Waiting for the files to upload" : "Send"}
          disabled={!canSend}
        >
          ➤
        </button>
      </div>
    </form>
  );
}
