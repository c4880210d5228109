// jetflow's live page: plain JavaScript, no build step, everything from this server.
// Relations come from /api/relations; each is a live table fed by its SSE stream
// (/api/relations/NAME/changes: a snapshot event, then change events of {op, row});
// /api/status is polled for the sparklines (the last 5 minutes). Where no change stream is served
// (a 501), a table polls its rows every POLL_MS instead.

const MAX_ROWS = 200; // rows shown per relation (the count says how many there are)
const POLL_MS = 2000; // a table's rows poll, where no change stream is served
const HISTORY = 300; // sparkline points, one per second
const history = { rate: [], lag: [] };
let previous;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const c of children) node.append(c);
  return node;
}

function compareRows(a, b) {
  // Rows arrive in --print order in snapshots; changes are merged by comparing their JSON texts.
  return a < b ? -1 : a > b ? 1 : 0;
}

class LiveTable {
  constructor(relation) {
    this.relation = relation;
    this.rows = new Map(); // row JSON text -> { row, count }
    this.order = []; // snapshot order, then changes appended
    this.recent = []; // a source keeps no rows: its latest inserts
    this.dirty = false;
    this.body = el("tbody");
    this.meta = el("span", { className: "meta" });
    this.more = el("div", { className: "more" });
    const head = el("tr");
    for (const c of relation.columns) head.append(el("th", {}, c.name, " ", el("small", {}, c.type)));
    this.node = el(
      "section",
      { className: "relation", id: `relation-${relation.name}` },
      el("h2", {}, `${relation.name} `, this.meta),
      el("div", { className: "scroll" }, el("table", {}, el("thead", {}, head), this.body)),
      this.more,
    );
    this.connect();
  }

  connect() {
    const events = new EventSource(`api/relations/${encodeURIComponent(this.relation.name)}/changes`);
    events.addEventListener("snapshot", (e) => {
      this.rows.clear();
      for (const row of JSON.parse(e.data)) this.add(row, 1);
      this.changed();
    });
    events.addEventListener("change", (e) => {
      for (const { op, row } of JSON.parse(e.data)) {
        if (this.relation.kind === "source") {
          this.recent.unshift(row);
          this.recent.length = Math.min(this.recent.length, MAX_ROWS);
        } else this.add(row, op === "-" ? -1 : 1);
      }
      this.changed();
    });
    events.addEventListener("error", () => {
      // A server that streams no changes (it answers 501) closes the stream for good:
      // poll the rows instead.
      if (events.readyState === EventSource.CLOSED && this.relation.kind !== "source") this.poll();
    });
  }

  async poll() {
    try {
      const rows = await (await fetch(`api/relations/${encodeURIComponent(this.relation.name)}`)).json();
      if (Array.isArray(rows)) {
        this.rows.clear();
        for (const row of rows) this.add(row, 1);
        this.changed();
      }
    } catch {
      // The next poll tries again.
    }
    setTimeout(() => this.poll(), POLL_MS);
  }

  add(row, by) {
    const key = JSON.stringify(row);
    const entry = this.rows.get(key) ?? { row, count: 0 };
    entry.count += by;
    if (entry.count <= 0) this.rows.delete(key);
    else this.rows.set(key, entry);
  }

  changed() {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => this.render());
  }

  render() {
    this.dirty = false;
    let rows;
    let total;
    if (this.relation.kind === "source") {
      rows = this.recent;
      total = rows.length;
      this.meta.textContent = `source · latest ${total} messages`;
    } else {
      const keys = [...this.rows.keys()].sort(compareRows);
      total = 0;
      rows = [];
      for (const k of keys) {
        const { row, count } = this.rows.get(k);
        total += count;
        for (let i = 0; i < count && rows.length < MAX_ROWS; i++) rows.push(row);
      }
      const key = this.relation.primaryKey.length > 0 ? ` · key ${this.relation.primaryKey.join(", ")}` : "";
      this.meta.textContent = `${this.relation.kind} · ${total} rows${key}`;
    }
    this.body.replaceChildren(
      ...rows.slice(0, MAX_ROWS).map((row) => {
        const tr = el("tr");
        for (const c of this.relation.columns) {
          const v = row[c.name];
          tr.append(
            v === null
              ? el("td", { className: "null", textContent: "null" })
              : el("td", { textContent: typeof v === "object" ? JSON.stringify(v) : String(v) }),
          );
        }
        return tr;
      }),
    );
    this.more.textContent = total > MAX_ROWS ? `showing ${MAX_ROWS} of ${total}` : "";
  }
}

function spark(id, values) {
  const line = document.querySelector(`#${id} polyline`);
  const max = Math.max(1, ...values);
  const step = 300 / (HISTORY - 1);
  const offset = HISTORY - values.length;
  line.setAttribute(
    "points",
    values.map((v, i) => `${((offset + i) * step).toFixed(1)},${(38 - (v / max) * 36).toFixed(1)}`).join(" "),
  );
}

function push(series, value) {
  series.push(value);
  if (series.length > HISTORY) series.shift();
}

function seconds(ms) {
  return ms === null ? "none yet" : `${(ms / 1000).toFixed(1)} s`;
}

async function poll() {
  try {
    const s = await (await fetch("api/status")).json();
    const ready = document.getElementById("ready");
    ready.textContent = s.ready ? "caught up" : "catching up";
    ready.className = s.ready ? "badge ok" : "badge";
    if (previous !== undefined) {
      const rate = ((s.messagesIn - previous.messagesIn) * 1000) / Math.max(1, s.now - previous.now);
      push(history.rate, rate);
      document.getElementById("rate").textContent = Math.round(rate).toLocaleString();
    }
    previous = s;
    push(history.lag, s.consumerLag);
    document.getElementById("lag").textContent = s.consumerLag.toLocaleString();
    document.getElementById("checkpoint").textContent = seconds(s.checkpointAgeMs);
    document.getElementById("bad").textContent = s.badMessages.toLocaleString();
    spark("rate-spark", history.rate);
    spark("lag-spark", history.lag);
  } catch {
    document.getElementById("ready").textContent = "disconnected";
  }
}

async function main() {
  const relations = await (await fetch("api/relations")).json();
  const main = document.getElementById("relations");
  for (const r of relations) main.append(new LiveTable(r).node);
  await poll();
  setInterval(poll, 1000);
}

main();
