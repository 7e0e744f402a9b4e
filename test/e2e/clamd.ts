// The e2e suite's clamd: scripts/clamd.mjs (a generated EICAR signature database, a loopback TCP
// port), typed for the suite.
// @ts-expect-error: a plain ESM script without declarations, shared with npm start
import * as clamd from "../../scripts/clamd.mjs";

export type Clamd = {
  address: string;
  port: number;
  /** Starts it again on the same port (after `stop`). */
  start(): Promise<void>;
  /** Kills it; the port stays reserved for `start`. */
  stop(): Promise<void>;
  close(): Promise<void>;
  logs(): string;
};

export const startClamd: (options?: { port?: number }) => Promise<Clamd> = clamd.startClamd;
export const EICAR: string = clamd.EICAR;
export const CLAMD_STREAM_MAX_BYTES: number = clamd.CLAMD_STREAM_MAX_BYTES;
