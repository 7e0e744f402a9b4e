import { room100, room1000 } from "./room.mjs";

/** Every scenario, in the order a full run takes them (accounts registered early are reused later). */
export const scenarios = [room100, room1000];
