// The built-in `:shortcode:` reactions and the emoji each stands for (fully qualified, so that
// `:heart:` and a typed "❤" become the same "❤️"). Names follow Slack/GitHub (gemoji); several
// names may stand for one emoji (`:+1:` and `:thumbsup:`). Keep it to common ones: a custom emoji
// set is a separate feature. The list is data: emojiShortcodes.json.
import shortcodes from "./emojiShortcodes.json";

export const EMOJI_SHORTCODES: ReadonlyMap<string, string> = new Map(Object.entries(shortcodes));
