import { PhotonImage } from "@cf-wasm/photon";
import { describe, expect, it } from "vitest";
import { ClamdUnavailable, parseVerdict } from "../../src/lib/clamd";
import { attachmentDisposition, safeContentType } from "../../src/lib/contentDisposition";
import { imageHeader } from "../../src/lib/imageHeader";

describe("parseVerdict (clamd's INSTREAM answer)", () => {
  it("reads OK and FOUND, and treats anything else as no verdict (retry, never clean)", () => {
    expect(parseVerdict("stream: OK\0")).toEqual({ clean: true });
    expect(parseVerdict("stream: Eicar-Test-Signature.UNOFFICIAL FOUND\0")).toEqual({
      clean: false,
      signature: "Eicar-Test-Signature.UNOFFICIAL",
    });
    for (const garbage of ["", "\0", "INSTREAM size limit exceeded. ERROR\0", "stream: OKAY\0", "HTTP/1.1 200 OK\r\n", "stream:  FOUND"])
      expect(() => parseVerdict(garbage), JSON.stringify(garbage)).toThrow(ClamdUnavailable);
  });
});

describe("imageHeader", () => {
  const img = (w: number, h: number) => new PhotonImage(new Uint8Array(w * h * 4).fill(9), w, h);

  it("reads width and height of PNG, JPEG and WebP without decoding", () => {
    expect(imageHeader(img(33, 17).get_bytes())).toEqual({ kind: "png", width: 33, height: 17 });
    expect(imageHeader(img(40, 30).get_bytes_jpeg(70))).toEqual({ kind: "jpeg", width: 40, height: 30 });
    expect(imageHeader(img(21, 12).get_bytes_webp())).toMatchObject({ kind: "webp", width: 21, height: 12 });
  });

  it("reads GIF and extended WebP headers, and nothing from other bytes", () => {
    const gif = new Uint8Array([...new TextEncoder().encode("GIF89a"), 0x2c, 0x01, 0x90, 0x00, 0, 0]);
    expect(imageHeader(gif)).toEqual({ kind: "gif", width: 300, height: 144 });
    const vp8x = new Uint8Array(30);
    vp8x.set(new TextEncoder().encode("RIFF"), 0);
    vp8x.set(new TextEncoder().encode("WEBPVP8X"), 8);
    vp8x.set([0x3f, 0x42, 0x0f], 24); // width - 1 = 999_999
    vp8x.set([0x01, 0x00, 0x00], 27); // height - 1 = 1
    expect(imageHeader(vp8x)).toEqual({ kind: "webp", width: 1_000_000, height: 2 });
    expect(imageHeader(new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBeNull();
    expect(imageHeader(new Uint8Array([0x89, 0x50, 0x4e]))).toBeNull();
    expect(imageHeader(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0, 0, 0, 0, 0, 0]))).toBeNull();
  });
});

describe("download headers", () => {
  it("encode the filename as RFC 6266 asks: an ASCII fallback and the UTF-8 original", () => {
    expect(attachmentDisposition("report.pdf")).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    expect(attachmentDisposition('日本語 "x";.txt')).toBe(
      `attachment; filename="___ _x_;.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E%20%22x%22%3B.txt`,
    );
    expect(attachmentDisposition("it's (1)*.txt")).toContain("filename*=UTF-8''it%27s%20%281%29%2A.txt");
  });

  it("never let a type a browser runs through", () => {
    for (const t of [
      "text/html",
      "image/svg+xml",
      "application/xhtml+xml",
      "text/xml",
      "application/javascript",
      "TEXT/HTML; charset=utf-8",
      "x/y",
    ])
      expect(safeContentType(t), t).toBe("application/octet-stream");
    expect(safeContentType("image/PNG")).toBe("image/png");
    expect(safeContentType("text/plain; charset=latin1")).toBe("text/plain; charset=utf-8");
  });
});
