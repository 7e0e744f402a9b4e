import { bigChannel } from "./bigChannel.mjs";
import { history } from "./history.mjs";
import { idleSockets } from "./idleSockets.mjs";
import { myChannels } from "./myChannels.mjs";
import { org } from "./org.mjs";
import { reconnectStorm } from "./reconnectStorm.mjs";
import { room100, room1000 } from "./room.mjs";
import { search } from "./search.mjs";
import { upload } from "./upload.mjs";

/** Every scenario, in the order a full run takes them (accounts registered early are reused later). */
export const scenarios = [room100, room1000, bigChannel, org, history, search, myChannels, reconnectStorm, idleSockets, upload];
