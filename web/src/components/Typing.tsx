import { useStoreState } from "../context.ts";
import { personName, typingText } from "../names.ts";

/** Who is typing where (a thread, or the channel itself when `threadRootId` is null), by name. */
export function useTyping(channelId: string, threadRootId: string | null): string | null {
  const state = useStoreState();
  const here = Object.values(state.typing[channelId] ?? {}).filter((t) => t.threadRootId === threadRootId);
  return typingText(here.map((t) => personName(state.users[t.userId])));
}

export function TypingLine({ text }: { text: string | null }) {
  return (
    <div class="typing" aria-live="polite">
      {text}
    </div>
  );
}
