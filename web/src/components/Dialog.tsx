import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

/** A modal dialog (the platform's <dialog>: focus trap, Escape, inert page behind). */
export function Dialog(props: { label: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (!el.open) el.showModal();
    const closed = () => props.onClose();
    el.addEventListener("close", closed);
    return () => el.removeEventListener("close", closed);
  }, []);
  return (
    <dialog
      ref={ref}
      aria-label={props.label}
      class={props.wide ? "modal wide" : "modal"}
      onMouseDown={(e) => {
        if (e.target === ref.current) ref.current?.close();
      }}
    >
      {props.children}
    </dialog>
  );
}
