import { AwsClient } from "aws4fetch";
import { config } from "../../lib/config";

export type UploadInstructions = { url: string; method: "PUT"; headers: Record<string, string>; expires_at: string };

/** Where a file's bytes live in R2, where quarantined bytes go, and its thumbnail. */
export const storageKeys = (fileId: string) => ({
  upload: `files/${fileId}`,
  quarantine: `quarantine/${fileId}`,
  thumbnail: `thumbnails/${fileId}`,
});

/** Uploads go straight to R2 when its S3 API credentials are configured; otherwise through the Worker. */
export const presignedUploads = (env: Env) => config(env).R2_ACCESS_KEY_ID !== "";

/**
 * The URL the client sends the bytes to. One code path, two signers: with R2 S3 credentials, an R2
 * presigned PUT (SigV4 in the query string, signing the exact Content-Length and Content-Type, so
 * R2 refuses other lengths and any altered parameter); without them, this Worker's own upload route
 * with a single-use token whose SHA-256 the file row keeps.
 */
export async function uploadInstructions(
  env: Env,
  origin: string,
  file: { id: string; size: number; contentType: string },
  token: string,
  expiresAt: Date,
): Promise<UploadInstructions> {
  const cfg = config(env);
  const headers = { "content-type": file.contentType };
  const expires_at = expiresAt.toISOString();
  if (!presignedUploads(env)) {
    const url = new URL(`/api/v1/files/${file.id}/upload`, origin);
    url.searchParams.set("token", token);
    return { url: url.toString(), method: "PUT", headers, expires_at };
  }
  const client = new AwsClient({
    accessKeyId: cfg.R2_ACCESS_KEY_ID,
    secretAccessKey: cfg.R2_SECRET_ACCESS_KEY,
    service: "s3",
    region: "auto",
  });
  const url = new URL(`${cfg.R2_S3_ENDPOINT.replace(/\/+$/, "")}/${cfg.R2_BUCKET_NAME}/${storageKeys(file.id).upload}`);
  url.searchParams.set("X-Amz-Expires", String(Math.max(1, Math.round((expiresAt.getTime() - Date.now()) / 1000))));
  const signed = await client.sign(url.toString(), {
    method: "PUT",
    headers: { ...headers, "content-length": String(file.size) },
    aws: { signQuery: true, allHeaders: true },
  });
  return { url: signed.url, method: "PUT", headers, expires_at };
}
