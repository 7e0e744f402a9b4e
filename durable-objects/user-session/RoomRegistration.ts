import { log } from "../../src/lib/log";
import { channelRoom } from "../../src/lib/stubs";
import { CHANNELS_RECHECK_MS, type ChannelList } from "./ChannelList";
import { recordOnline } from "./onlineDirectory";

/**
 * Tells the user's ChannelRooms when the user comes online (first socket) and goes offline (last
 * socket gone), so they push events only to members with a socket, and lists them in D1's
 * `online_users` meanwhile (for the stats). Transitions run one after another, in the order asked.
 */
export class RoomRegistration {
  private transitions: Promise<void> = Promise.resolve();

  constructor(
    private readonly env: Env,
    private readonly channels: ChannelList,
    private readonly userId: () => string | null,
    private readonly online: () => boolean,
  ) {}

  /** Registers the user as online (or offline) in all their rooms, unless the state flipped back meanwhile. */
  schedule(online: boolean): void {
    this.queue(async () => {
      // The state may have flipped back while we waited in line.
      const userId = this.userId();
      if (!userId || online !== this.online()) return;
      await Promise.all([
        this.setOnlineIn([...(await this.channels.mine(CHANNELS_RECHECK_MS))], online),
        recordOnline(this.env.DB, userId, online),
      ]);
    });
  }

  /** The user joined a channel while online: its room learns at once. */
  joined(channelId: string): void {
    this.queue(() => this.setOnlineIn([channelId], true));
  }

  /** Resolves once every transition asked for so far has run. */
  settled(): Promise<void> {
    return this.transitions;
  }

  /** Runs after the transitions before it; a failure is logged and does not block the next. */
  private queue(step: () => Promise<void>): void {
    this.transitions = this.transitions
      .then(step)
      .catch((error: unknown) => log("warn", "presence transition failed", { user_id: this.userId(), error }));
  }

  private async setOnlineIn(channelIds: string[], online: boolean): Promise<void> {
    const userId = this.userId();
    if (!userId) throw new Error("UserSession has no user yet");
    await Promise.all(
      channelIds.map((id) =>
        channelRoom(this.env, id)
          .setOnline(userId, online)
          .catch((error: unknown) => log("warn", "setOnline failed", { user_id: userId, channel_id: id, error })),
      ),
    );
  }
}
