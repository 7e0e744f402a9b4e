import { ColinkError } from "../../src/lib/ColinkError";
import { config } from "../../src/lib/config";
import { DAY_MS } from "../../src/lib/time";
import type { ChannelEventData, ChannelEventType } from "../../src/protocol/channelEvents";
import type { Message } from "../../src/protocol/messages";
import { AlarmSchedule } from "../shared/AlarmSchedule";
import { DIRECTORY_OUTBOX_ALARM, DirectoryOutbox } from "./DirectoryOutbox";
import { type Appended, EventLog, RETENTION_ALARM } from "./EventLog";
import { type Deliver, FanOut } from "./FanOut";
import { FileStore } from "./FileStore";
import { HEAD_ALARM, HeadPublisher } from "./HeadPublisher";
import { MemberStore } from "./MemberStore";
import { MESSAGE_RETENTION_ALARM, MessageRetention } from "./MessageRetention";
import { MessageStore } from "./MessageStore";
import { type Nudge, OfflineNudges } from "./OfflineNudges";
import { OnlineMembers } from "./OnlineMembers";
import { PinStore } from "./PinStore";
import { ReactionStore } from "./ReactionStore";
import { RoomAccess } from "./RoomAccess";
import { RoomMeta } from "./RoomMeta";
import type { Actor } from "./rpcTypes";
import { SEARCH_OUTBOX_ALARM, SearchOutbox } from "./SearchOutbox";
import { SendRateLimiter } from "./SendRateLimiter";
import { ThreadStore } from "./ThreadStore";

/** Appends an event inside `commit`'s transaction; it fans out once the transaction has committed. */
export type Emit = <T extends ChannelEventType>(type: T, data: ChannelEventData<T>, at: Date) => void;

/**
 * A ChannelRoom's parts, shared by its action modules: the stores over its SQLite, who may do
 * what, who is online, the event log with its fan-out, and the one way to write (`commit`).
 * The ChannelRoom builds it and hosts it.
 */
export class RoomCore {
  readonly meta: RoomMeta;
  readonly members: MemberStore;
  readonly access: RoomAccess;
  readonly online: OnlineMembers;
  readonly fanOut: FanOut;
  readonly events: EventLog;
  readonly reactions: ReactionStore;
  readonly messages: MessageStore;
  readonly threads: ThreadStore;
  readonly pins: PinStore;
  readonly files: FileStore;
  readonly searchOutbox: SearchOutbox;
  /** What the room owes the D1 directory: audit rows of moderation done here, message counts. */
  readonly outbox: DirectoryOutbox;
  readonly head: HeadPublisher;
  readonly nudges: OfflineNudges;
  /**
   * The object's one alarm, shared by its purposes: event retention, the search and directory
   * outboxes, message retention, publishing the head.
   */
  readonly alarms: AlarmSchedule<
    typeof RETENTION_ALARM | typeof SEARCH_OUTBOX_ALARM | typeof DIRECTORY_OUTBOX_ALARM | typeof MESSAGE_RETENTION_ALARM | typeof HEAD_ALARM
  >;
  /** The workspace's message retention, pruned from the alarm (it hands the search and directory outboxes what goes). */
  readonly retention: MessageRetention;
  readonly sql: SqlStorage;
  /** Not readonly: the rate-limit test puts a stricter one in. */
  sendLimiter: SendRateLimiter;

  constructor(
    private readonly storage: DurableObjectStorage,
    env: Env,
    deliver: Deliver,
    nudge: Nudge,
  ) {
    const sql = storage.sql;
    this.sql = sql;
    const transact = <T>(body: () => T): T => this.transact(body);
    this.sendLimiter = new SendRateLimiter(config(env).SEND_RATE_PER_MINUTE);
    this.meta = new RoomMeta(sql);
    this.members = new MemberStore(sql);
    this.online = new OnlineMembers(sql);
    this.fanOut = new FanOut(this.online.generations, deliver, (userId) => this.setOnline(userId, false));
    this.alarms = new AlarmSchedule(storage, {
      [RETENTION_ALARM]: (now: number) => this.events.retentionCheck(now),
      [SEARCH_OUTBOX_ALARM]: (now: number) => this.searchOutbox.flush(now),
      [DIRECTORY_OUTBOX_ALARM]: (now: number) => this.outbox.alarmTask(now),
      [MESSAGE_RETENTION_ALARM]: (now: number) => this.retention.check(now),
      [HEAD_ALARM]: (now: number) => this.head.publish(now),
    });
    this.nudges = new OfflineNudges((userId) => this.online.has(userId), nudge);
    this.head = new HeadPublisher(env.DB, this.meta, (at) => this.alarms.schedule(HEAD_ALARM, at));
    this.retention = new MessageRetention(this, async () => {
      const row = await env.DB.prepare("SELECT message_days FROM workspace_settings WHERE id = 1").first<{ message_days: number | null }>();
      return row?.message_days ?? null;
    });
    this.outbox = new DirectoryOutbox(
      sql,
      env.DB,
      () => this.meta.read()?.channel_id ?? null,
      (at) => this.alarms.schedule(DIRECTORY_OUTBOX_ALARM, at),
      () => this.alarms.cancel(DIRECTORY_OUTBOX_ALARM),
    );
    const retentionMs = config(env).EVENT_RETENTION_DAYS * DAY_MS;
    this.events = new EventLog(sql, this.meta, retentionMs, (at) => this.alarms.schedule(RETENTION_ALARM, at), transact);
    this.reactions = new ReactionStore(sql);
    this.files = new FileStore(sql);
    this.messages = new MessageStore(sql, this.reactions, this.files);
    this.access = new RoomAccess(this.members, this.messages);
    this.threads = new ThreadStore(sql);
    this.pins = new PinStore(sql);
    this.searchOutbox = new SearchOutbox(
      sql,
      this.meta,
      this.messages,
      (at) => this.alarms.schedule(SEARCH_OUTBOX_ALARM, at),
      async (jobs) => {
        await env.SEARCH_INDEX_QUEUE.sendBatch(jobs.map((body) => ({ body, contentType: "json" })));
      },
    );
  }

  /** At wake-up, after the migrations. */
  async load(): Promise<void> {
    this.online.load();
    await this.alarms.load();
  }

  /** One SQLite transaction; if it rolls back, the in-memory copies of what it may have changed go too. */
  transact<T>(body: () => T): T {
    try {
      return this.storage.transactionSync(body);
    } catch (err) {
      this.forgetCaches();
      throw err;
    }
  }

  /**
   * Runs `body` in one transaction; the events it emits fan out, in order, once it has committed,
   * with no `await` in between (after `committed`, for what must happen first, like taking a
   * removed member off the online list). A message event also puts the message in the search
   * outbox, in the same transaction.
   */
  commit<T>(body: (emit: Emit) => T, committed?: () => void): T {
    const appended: Appended[] = [];
    const emit: Emit = (type, data, at) => {
      appended.push(this.events.append(type, data, at));
      if (type === "message.created" || type === "message.updated" || type === "message.deleted")
        this.searchOutbox.add((data as Message).seq, at.getTime());
    };
    const value = this.transact(() => body(emit));
    committed?.();
    for (const event of appended) this.fanOut.push(event);
    if (appended.length > 0) this.head.changed(Date.now());
    return value;
  }

  forgetCaches(): void {
    this.meta.forget();
    this.members.forget();
    this.alarms.forget();
  }

  /** Spends one of the author's send tokens (messages, reactions, pins), or answers 429. */
  takeSendToken(actor: Actor, now: number): void {
    const retryAfter = this.sendLimiter.take(actor.id, now);
    if (retryAfter !== null)
      throw new ColinkError(429, "rate_limited", "Sending too fast; try again shortly.", { retryAfterSeconds: retryAfter });
  }

  /**
   * A member's UserSession reports their first socket opening (true) or last closing (false), or a
   * push found no socket. Returns false when they are not a member: the session should stop asking.
   */
  setOnline(userId: string, online: boolean): boolean {
    if (!this.members.has(userId)) {
      this.goOffline(userId);
      return false;
    }
    const was = this.online.has(userId);
    if (online) this.online.add(userId);
    else this.goOffline(userId);
    if (was !== online) this.online.write(userId, online);
    return true;
  }

  /** Takes a member off the push list; a delivery call still out tidies their outbox when it returns. */
  goOffline(userId: string): void {
    this.online.remove(userId);
    this.fanOut.drop(userId);
  }
}
