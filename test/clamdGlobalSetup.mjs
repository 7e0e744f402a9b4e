// globalSetup of the in-runtime suite (Node side): a real clamd on the port vitest.config.ts gave
// the Worker as CLAMD_ADDRESS, so the scan consumer's tests talk to the real scanner over TCP.
import { findClamd, startClamd } from "../scripts/clamd.mjs";

export default async function setup() {
  const port = Number(process.env.COLINK_TEST_CLAMD_PORT);
  if (!findClamd()) throw new Error("The tests need clamd: apt-get install clamav-daemon (npm test installs it when run as root).");
  const clamd = await startClamd({ port });
  return () => clamd.close();
}
