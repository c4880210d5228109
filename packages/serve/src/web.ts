import fs from "node:fs";

/** The web page's files, served as they are (no build step): plain HTML, CSS and JS. */
const FILES: Readonly<Record<string, string>> = {
  "/": "index.html",
  "/index.html": "index.html",
  "/app.js": "app.js",
  "/style.css": "style.css",
};

const TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

/** The package's `web/` folder: beside `src/` and `dist/` alike. */
const WEB_DIR = new URL("../web/", import.meta.url);

/** The page file at `path` (read once, then kept), or undefined when the path is not one of them. */
export function webFile(path: string): { type: string; body: Buffer } | undefined {
  const name = FILES[path];
  if (name === undefined) return undefined;
  let cached = cache.get(name);
  if (cached === undefined) {
    cached = {
      type: TYPES[name.slice(name.lastIndexOf(".") + 1)] ?? "application/octet-stream",
      body: fs.readFileSync(new URL(name, WEB_DIR)),
    };
    cache.set(name, cached);
  }
  return cached;
}

const cache = new Map<string, { type: string; body: Buffer }>();
