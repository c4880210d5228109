import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addStream, publishRaw } from "../sql/publish.js";
import { order, ordersSql, startServing } from "./serving-cli.js";

/** Debian's chromium; the page test drives it, it never downloads a browser. */
const CHROMIUM = "/usr/bin/chromium";

/**
 * The web page of `jetflow run --http`, in headless Chromium at a phone's width: it shows every
 * relation's rows live (SSE) and the status figures, with nothing loaded from elsewhere.
 */
describe("the live web page at / (headless Chromium)", () => {
  let server: NatsServer;
  let dir: string;
  let browser: Browser;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (it installs Debian's chromium)`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-page-"));
    await addStream({ servers: server.url }, "PAGE", ["page.>"]);
    await publishRaw(
      { servers: server.url },
      "PAGE",
      Array.from({ length: 300 }, (_, i) => ({ subject: "page.o", payload: JSON.stringify(order(i)) })),
    );
  });
  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("shows a view's rows and updates them after a publish, readable on a phone", async () => {
    const { cli, url } = await startServing(dir, ordersSql(server, "PAGE", "page.o"));
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const outside: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(url)) outside.push(r.url());
    });
    try {
      const expected = (await (await fetch(`${url}/api/relations/by_region`)).json()) as {
        region: string;
        n: number;
      }[];
      await page.goto(url);
      const rows = page.locator("#relation-by_region tbody tr");
      await rows.nth(expected.length - 1).waitFor();
      expect(await rows.count()).toBe(expected.length);
      const firstCells = await rows.first().locator("td").allTextContents();
      expect(firstCells.slice(0, 2)).toEqual([String(expected[0]?.region), String(expected[0]?.n)]);
      await expect.poll(() => page.locator("#relation-orders .meta").textContent()).toContain("97 rows");

      // A new region appears on the page once it is published.
      await publishRaw({ servers: server.url }, "PAGE", [
        { subject: "page.o", payload: JSON.stringify({ id: 5000, region: "west", amount: "1.5", at: null }) },
      ]);
      const west = page.locator("#relation-by_region tbody tr", { hasText: "west" });
      await west.waitFor();
      expect(await west.locator("td").allTextContents()).toEqual(["west", "1", "1.5"]);
      expect(await rows.count()).toBe(expected.length + 1);

      // The status figures fill in; nothing comes from another host; no sideways scrolling at 390 px.
      await expect.poll(() => page.locator("#ready").textContent()).toBe("caught up");
      await expect.poll(() => page.locator("#lag").textContent()).toBe("0");
      expect(outside).toEqual([]);
      const pageWidth = await page.evaluate("document.documentElement.scrollWidth");
      expect(pageWidth).toBeLessThanOrEqual(390);
    } finally {
      await page.close();
      await cli.stop("SIGINT");
    }
  });
});
