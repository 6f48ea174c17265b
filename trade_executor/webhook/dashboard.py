"""The dashboard page at `/`: plain HTML and JavaScript, no build step, no network but this server.

Kept in a Python module (not a data file) so every kind of install ships it. It reads /status,
/metadata and /portfolio every few seconds with fetch(); the chart is plotly.js, served by the
app from the installed plotly package. Text from the server is only ever set as textContent.

With control on (HTTP_USERNAME/HTTP_PASSWORD set, /status says control_enabled) it shows the
/control buttons: each asks for confirmation, posts, then follows the command on /status until
the trader has run it (every 0.5 s, not the page's 5 s).
"""

REFRESH_SECONDS = 5

DASHBOARD_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>trade-executor</title>
<link rel="icon" href="data:,">
<style>
  :root { --ok: #1a7f37; --bad: #c62828; --muted: #666; --line: #e3e3e3; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d1d1f; background: #f6f7f9; }
  header { display: flex; align-items: center; gap: 12px; padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line); }
  header img { width: 36px; height: 36px; border-radius: 6px; }
  header h1 { font-size: 20px; margin: 0; }
  header .sub { color: var(--muted); }
  #executor-status { margin-left: auto; font-weight: 600; padding: 4px 10px; border-radius: 12px; background: #eee; }
  #executor-status.running { color: #fff; background: var(--ok); }
  #executor-status.stopped { color: #fff; background: var(--bad); }
  #pause-status { font-weight: 600; padding: 4px 10px; border-radius: 12px; color: #fff; background: #b26a00; }
  button { font: inherit; padding: 4px 12px; border-radius: 6px; border: 1px solid #999; background: #fff; cursor: pointer; }
  button.danger { border-color: var(--bad); color: var(--bad); }
  #control-message { margin: 8px 0; }
  main { padding: 18px 24px; display: grid; gap: 16px; max-width: 1280px; }
  .cards { display: grid; grid-template-columns: repeat(6, 1fr); gap: 12px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
  .card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
  .card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
  section h2 { font-size: 15px; margin: 0 0 8px; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  td.num, th.num { text-align: right; }
  .empty { color: var(--muted); }
  .pos { color: var(--ok); } .neg { color: var(--bad); }
  #exception { display: none; border-color: var(--bad); }
  #exception pre { white-space: pre-wrap; font-size: 12px; max-height: 260px; overflow: auto; background: #fff5f5; padding: 8px; }
  #equity-chart { height: 320px; }
  footer { color: var(--muted); font-size: 12px; padding: 0 24px 18px; }
  #error { color: var(--bad); }
</style>
</head>
<body>
<header>
  <img id="icon" alt="" hidden>
  <div><h1 id="name">trade-executor</h1><div class="sub" id="short-description"></div></div>
  <span id="executor-status">loading</span>
  <span id="pause-status" hidden></span>
</header>
<main>
  <div class="cards">
    <div class="card"><div class="label">Equity</div><div class="value" id="equity">-</div></div>
    <div class="card"><div class="label">Cash</div><div class="value" id="cash">-</div></div>
    <div class="card"><div class="label">Return</div><div class="value" id="return">-</div></div>
    <div class="card"><div class="label">Open positions</div><div class="value" id="open-count">-</div></div>
    <div class="card"><div class="label">Frozen positions</div><div class="value" id="frozen-count">-</div></div>
    <div class="card"><div class="label">Cycle</div><div class="value" id="cycle">-</div></div>
  </div>
  <section id="control" hidden><h2>Control</h2>
    <button id="pause-button">Pause (no new positions)</button> <button id="resume-button" hidden>Resume</button>
    <button id="close-all-button" class="danger">Close all positions</button>
    <div id="control-message"></div>
    <table id="control-commands"></table>
  </section>
  <section id="exception"><h2>Stopped with an exception</h2><div id="exception-summary"></div><pre id="exception-traceback"></pre></section>
  <section><h2>Equity</h2><div id="equity-chart"></div></section>
  <section><h2>Open positions</h2><table id="open-positions"></table></section>
  <section><h2>Frozen positions</h2><table id="frozen-positions"></table></section>
  <section><h2>Recent trades</h2><table id="recent-trades"></table></section>
</main>
<footer>Refreshed every __REFRESH__ s. Last update: <span id="refreshed">never</span>. <span id="version"></span> <span id="error"></span></footer>
<script src="static/plotly.min.js"></script>
<script>
"use strict";
const REFRESH_MS = __REFRESH__ * 1000;
let chartKey = null;
let lastStatus = null;

function money(value) {
  if (value === null || value === undefined) return "-";
  return "$" + Number(value).toLocaleString("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 2});
}
function number(value, digits) {
  if (value === null || value === undefined) return "-";
  return Number(value).toLocaleString("en-US", {maximumFractionDigits: digits});
}
function percent(fraction) {
  if (fraction === null || fraction === undefined) return "-";
  return (fraction * 100).toFixed(2) + "%";
}
function setText(id, text) { document.getElementById(id).textContent = text; }
function when(iso) { return iso ? iso.replace("T", " ").replace(/\\.\\d+/, "").replace("Z", " UTC") : "-"; }

function fillTable(id, columns, rows, emptyText) {
  const table = document.getElementById(id);
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const column of columns) {
    const th = document.createElement("th");
    th.textContent = column.button ? "" : column.title;
    if (column.num) th.className = "num";
    head.appendChild(th);
  }
  const body = table.createTBody();
  if (!rows.length) {
    const cell = body.insertRow().insertCell();
    cell.colSpan = columns.length;
    cell.className = "empty";
    cell.textContent = emptyText;
    return;
  }
  for (const row of rows) {
    const tr = body.insertRow();
    for (const column of columns) {
      const td = tr.insertCell();
      if (column.button) {
        const button = document.createElement("button");
        button.textContent = column.title;
        button.className = "danger";
        button.addEventListener("click", () => column.button(row));
        td.appendChild(button);
        continue;
      }
      td.textContent = column.value(row);
      if (column.num) td.className = "num";
      if (column.sign) { const v = column.sign(row); if (v > 0) td.classList.add("pos"); if (v < 0) td.classList.add("neg"); }
    }
  }
}

const POSITION_COLUMNS = [
  {title: "#", value: p => p.position_id},
  {title: "Pair", value: p => p.pair},
  {title: "Opened", value: p => when(p.opened_at)},
  {title: "Quantity", num: true, value: p => number(p.quantity, 6)},
  {title: "Price", num: true, value: p => number(p.last_price, 6)},
  {title: "Value", num: true, value: p => money(p.value)},
  {title: "Profit", num: true, value: p => money(p.profit), sign: p => Number(p.profit)},
  {title: "Profit %", num: true, value: p => percent(p.profit_pct), sign: p => p.profit_pct},
];
const OPEN_COLUMNS = POSITION_COLUMNS.concat([
  {title: "Close", button: p => control("control/close-position/" + p.position_id, "Sell position #" + p.position_id + " " + p.pair + " now, at the pool's price (the same safety rules as a cycle)?")},
]);
const COMMAND_COLUMNS = [
  {title: "Requested", value: c => when(new Date(c.requested_at * 1000).toISOString())},
  {title: "By", value: c => c.requested_by},
  {title: "Command", value: c => c.action + (c.position_id !== null ? " #" + c.position_id : "")},
  {title: "Status", value: c => c.status},
  {title: "Message", value: c => c.message || ""},
];
const FROZEN_COLUMNS = POSITION_COLUMNS.slice(0, 6).concat([
  {title: "Frozen", value: p => when(p.frozen_at)},
  {title: "Reason", value: p => p.frozen_reason || ""},
]);
const TRADE_COLUMNS = [
  {title: "#", value: t => t.trade_id},
  {title: "Time", value: t => when(t.time)},
  {title: "Pair", value: t => t.pair},
  {title: "Side", value: t => t.side},
  {title: "Type", value: t => t.type},
  {title: "Status", value: t => t.status},
  {title: "Quantity", num: true, value: t => number(t.quantity, 6)},
  {title: "Price", num: true, value: t => number(t.price, 6)},
  {title: "Value", num: true, value: t => money(t.value)},
];

function describeCommand(c) {
  return c.action + (c.position_id !== null ? " #" + c.position_id : "") + ": " + c.status + (c.message ? ". " + c.message : "");
}

async function control(path, question) {
  if (!window.confirm(question)) return;
  setText("control-message", "Sending...");
  try {
    const response = await fetch(path, {method: "POST", cache: "no-store"});
    const answer = await response.json();
    if (!response.ok) { setText("control-message", "Refused: " + (answer.detail || "HTTP " + response.status)); return; }
    setText("control-message", "Queued " + describeCommand(answer) + " (command " + answer.command_id + "): the trader runs it after its current step.");
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      await refresh();
      const row = lastStatus.control_commands.find(c => c.command_id === answer.command_id);
      if (row && row.status !== "queued") { setText("control-message", describeCommand(row)); return; }
      await new Promise(resolve => setTimeout(resolve, 500));
    }
  } catch (error) {
    setText("control-message", "Could not send the command: " + error.message);
  }
}

function showControl(status) {
  document.getElementById("control").hidden = !status.control_enabled;
  const paused = document.getElementById("pause-status");
  paused.hidden = !status.paused;
  paused.textContent = status.paused ? "paused by " + status.paused_by : "";
  document.getElementById("pause-button").hidden = status.paused;
  document.getElementById("resume-button").hidden = !status.paused;
  fillTable("control-commands", COMMAND_COLUMNS, status.control_commands, "No control commands yet.");
}

function showStatus(status, metadata) {
  lastStatus = status;
  showControl(status);
  const badge = document.getElementById("executor-status");
  badge.textContent = status.executor_running ? "running" : (status.exception ? "stopped: " + status.exception.type : "stopped");
  badge.className = status.executor_running ? "running" : "stopped";
  const box = document.getElementById("exception");
  if (status.exception) {
    box.style.display = "block";
    const crashed = status.crashed_at ? new Date(status.crashed_at * 1000).toISOString() : "";
    setText("exception-summary", status.exception.type + ": " + status.exception.message + (crashed ? " (at " + when(crashed) + ")" : ""));
    setText("exception-traceback", status.exception.traceback || "");
  } else {
    box.style.display = "none";
  }
  setText("name", metadata.name || "trade-executor");
  setText("short-description", metadata.short_description || "");
  document.title = (metadata.name || "trade-executor") + " dashboard";
  const icon = document.getElementById("icon");
  if (metadata.icon_url && /^https?:\\/\\//.test(metadata.icon_url)) { icon.src = metadata.icon_url; icon.hidden = false; }
  setText("version", "trade-executor " + status.version + ".");
  setText("refreshed", new Date(status.last_refreshed_at * 1000).toISOString().replace("T", " ").replace(/\\.\\d+Z/, " UTC"));
}

function showPortfolio(portfolio) {
  setText("equity", money(portfolio.equity));
  setText("cash", money(portfolio.cash));
  setText("return", percent(portfolio["return"]));
  setText("open-count", portfolio.open_positions.length);
  setText("frozen-count", portfolio.frozen_positions.length);
  setText("cycle", portfolio.completed_cycle);
  const controlled = lastStatus && lastStatus.control_enabled;
  fillTable("open-positions", controlled ? OPEN_COLUMNS : POSITION_COLUMNS, portfolio.open_positions, "No open positions.");
  fillTable("frozen-positions", FROZEN_COLUMNS, portfolio.frozen_positions, "No frozen positions.");
  fillTable("recent-trades", TRADE_COLUMNS, portfolio.recent_trades, "No trades yet.");
  const curve = portfolio.equity_curve;
  const key = curve.timestamps.length + ":" + curve.timestamps[curve.timestamps.length - 1];
  if (key === chartKey || typeof Plotly === "undefined") return;
  chartKey = key;
  const chart = document.getElementById("equity-chart");
  if (!curve.timestamps.length) { chart.textContent = "The equity curve starts after the first cycle."; chart.className = "empty"; return; }
  chart.className = "";
  Plotly.react(chart, [{x: curve.timestamps, y: curve.equity, type: "scatter", mode: "lines", name: "equity", line: {color: "#1f77b4"}}],
    {margin: {l: 70, r: 20, t: 10, b: 40}, yaxis: {tickprefix: "$"}, xaxis: {type: "date"}},
    {displaylogo: false, responsive: true});
}

async function getJson(path) {
  const response = await fetch(path, {cache: "no-store"});
  if (!response.ok) throw new Error(path + ": HTTP " + response.status);
  return response.json();
}

async function refresh() {
  try {
    const [status, metadata, portfolio] = await Promise.all([getJson("status"), getJson("metadata"), getJson("portfolio")]);
    showStatus(status, metadata);
    showPortfolio(portfolio);
    setText("error", "");
  } catch (error) {
    setText("error", "Could not refresh: " + error.message);
  }
}

document.getElementById("pause-button").addEventListener("click", () => control("control/pause", "Pause trading? The strategy's buys are skipped until you resume; stop losses, take profits and sells go on."));
document.getElementById("resume-button").addEventListener("click", () => control("control/resume", "Resume trading? The strategy's buys are executed again."));
document.getElementById("close-all-button").addEventListener("click", () => control("control/close-all", "Sell every open position now, at the pools' prices (the same safety rules as a cycle)?"));
refresh();
setInterval(refresh, REFRESH_MS);
</script>
</body>
</html>
""".replace("__REFRESH__", str(REFRESH_SECONDS))
