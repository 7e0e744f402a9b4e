import type { TestProject } from "vitest/node";
import { startWranglerDev } from "./wranglerDev";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    owner: { login: string; password: string };
  }
}

export default async function setup(project: TestProject) {
  const server = await startWranglerDev();
  const owner = { login: "owner", password: `owner-${crypto.randomUUID()}` };
  const res = await fetch(`${server.url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "owner@example.test", username: owner.login, password: owner.password, display_name: "Owner" }),
  });
  if (res.status !== 201) throw new Error(`could not register the owner: ${res.status} ${await res.text()}`);
  project.provide("baseUrl", server.url);
  project.provide("owner", owner);
  return async () => {
    await server.stop();
  };
}
