// The dashboard page, served as is: no build step, no external assets.
#include <string>

#include "web/dashboard.h"

namespace fulcrum {

const std::string& dashboard_page() {
  static const std::string page = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fulcrum dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, Helvetica, Arial, sans-serif; margin: 24px; color: #222; background: #f6f7f9; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  .sub { color: #666; margin-bottom: 18px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 14px; margin-bottom: 18px; }
  .card { background: white; border-radius: 8px; padding: 14px 16px; border-left: 6px solid #bbb; box-shadow: 0 1px 2px #0001; }
  .card h2 { font-size: 13px; font-weight: 600; color: #555; margin: 0 0 6px; text-transform: uppercase; letter-spacing: .03em; }
  .card .value { font-size: 28px; font-weight: 700; }
  .card .note { color: #666; font-size: 12px; margin-top: 4px; }
  .alert-ok { border-left-color: #2ca02c; }
  .alert-amber { border-left-color: #f0a30a; }
  .alert-red { border-left-color: #d62728; }
  .alert-red .value { color: #d62728; }
  .panel { background: white; border-radius: 8px; padding: 14px 16px; margin-bottom: 18px; box-shadow: 0 1px 2px #0001; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eee; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  #status { color: #d62728; }
</style>
</head>
<body>
<h1>fulcrum</h1>
<div class="sub">Routing at a glance: the three numbers to watch, today's spend, the tier mix and whether the strong tier pays off.
  Updated <span id="updated">never</span>. <span id="status"></span></div>

<div class="cards">
  <div class="card" id="fallback-card"><h2>Escalation rate today</h2><div class="value" id="fallback-rate">-</div>
    <div class="note">the article's fallback rate: cascade escalations / requests; alert above 15%</div></div>
  <div class="card alert-ok" id="error-fallback-card"><h2>Error fallback rate today</h2><div class="value" id="error-fallback-rate">-</div>
    <div class="note">requests a fallback tier took because theirs failed / requests</div></div>
  <div class="card" id="error-card"><h2>Error rate <span id="cheap-name"></span> vs <span id="strong-name"></span></h2>
    <div class="value"><span id="error-cheap">-</span> / <span id="error-strong">-</span></div>
    <div class="note">from feedback, last 30 days; alert when the cheap tier passes 5%</div></div>
  <div class="card alert-ok" id="cps-card"><h2>Cost per successful request</h2><div class="value" id="cost-per-success">-</div>
    <div class="note">today's spend / (2xx answers - answers reported wrong)</div></div>
  <div class="card alert-ok"><h2>Spend today (UTC)</h2><div class="value" id="spend-today">-</div>
    <div class="note"><span id="requests-today">0</span> requests</div></div>
  <div class="card alert-ok" id="saved-card"><h2>Saved today by routing</h2><div class="value" id="saved-today">-</div>
    <div class="note" id="saved-note">vs every request on the dearest tier</div></div>
  <div class="card" id="breakeven-card"><h2>Break-even</h2><div class="value" id="breakeven">-</div>
    <div class="note" id="breakeven-note"></div></div>
</div>

<div class="panel"><h2 style="font-size:15px;margin:0 0 8px">Spend per tier today</h2>
  <table id="tiers-today"><thead><tr><th>tier</th><th class="num">requests</th><th class="num">share</th><th class="num">spend (USD)</th></tr></thead><tbody></tbody></table>
</div>
<div class="panel"><h2 style="font-size:15px;margin:0 0 8px">Tier mix per hour, last 24 h</h2><div id="mix"></div></div>

<script>
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const pct = (x) => (100 * x).toFixed(1) + '%';
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
function setAlert(el, level) { el.classList.remove('alert-ok', 'alert-amber', 'alert-red'); el.classList.add('alert-' + level); }

function render(d) {
  document.getElementById('updated').textContent = new Date(d.generated_unix_ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  document.getElementById('status').textContent = d.error ? 'Ledger: ' + d.error : '';
  if (d.error) return;
  document.getElementById('cheap-name').textContent = d.cheap_tier;
  document.getElementById('strong-name').textContent = d.strong_tier;
  document.getElementById('fallback-rate').textContent = pct(d.today.fallback_rate);
  setAlert(document.getElementById('fallback-card'), d.today.fallback_alert);
  document.getElementById('error-fallback-rate').textContent = pct(d.today.error_fallback_rate);
  setAlert(document.getElementById('error-fallback-card'), d.today.error_fallback_rate > 0.05 ? 'amber' : 'ok');
  const err = (tier) => d.error_rates_30d[tier];
  const cheap = err(d.cheap_tier), strong = err(d.strong_tier);
  document.getElementById('error-cheap').textContent = cheap ? pct(cheap.error_rate) : 'n/a';
  document.getElementById('error-strong').textContent = strong ? pct(strong.error_rate) : 'n/a';
  setAlert(document.getElementById('error-card'), cheap ? cheap.alert : 'ok');
  const cps = d.today.cost_per_success_usd;
  document.getElementById('cost-per-success').textContent = cps === null ? 'n/a' : '$' + cps.toPrecision(3);
  document.getElementById('spend-today').textContent = '$' + d.today.spend_usd;
  document.getElementById('requests-today').textContent = d.today.requests;
  const share = d.today.saved_share;
  document.getElementById('saved-today').textContent = share === null ? 'n/a' : '$' + d.today.saved_usd + ' (' + pct(share) + ')';
  document.getElementById('saved-note').textContent = 'all on ' + d.strong_tier + ' (same tokens, its prices) would have cost $'
      + d.today.all_strong_usd + '; spent $' + d.today.spend_usd;
  setAlert(document.getElementById('saved-card'), share !== null && share < 0 ? 'amber' : 'ok');
  const be = d.breakeven;
  document.getElementById('breakeven').textContent = be.verdict === 'upgrade' ? 'upgrade to ' + be.strong
      : be.verdict === 'stay' ? 'stay on ' + be.cheap : 'not enough data';
  setAlert(document.getElementById('breakeven-card'), be.verdict === 'upgrade' ? 'amber' : 'ok');
  document.getElementById('breakeven-note').textContent = be.requests_per_error
      ? be.strong + ' pays off above one extra ' + be.cheap + ' error per ' + Math.round(be.requests_per_error).toLocaleString('en-US')
        + ' requests (error cost $' + be.error_cost_usd + '); measured gap ' + pct(be.measured_gap)
      : 'needs requests and feedback on both ' + be.cheap + ' and ' + be.strong;

  const body = document.querySelector('#tiers-today tbody');
  body.innerHTML = d.tiers_today.map((t) => `<tr data-tier="${esc(t.tier)}"><td>${esc(t.tier)}</td>` +
      `<td class="num requests">${t.requests}</td><td class="num share">${pct(t.share)}</td>` +
      `<td class="num spend">$${esc(t.spend_usd)}</td></tr>`).join('');

  // Stacked bars: one per hour, one color per tier, labelled directly.
  const tiers = [...new Set(d.tier_mix_24h.map((h) => h.tier))].sort();
  const hours = [...new Set(d.tier_mix_24h.map((h) => h.hour_unix_ms))].sort((a, b) => a - b);
  const W = 900, H = 220, left = 40, bottom = 30, right = 120;
  const max = Math.max(1, ...hours.map((h) => d.tier_mix_24h.filter((x) => x.hour_unix_ms === h).reduce((s, x) => s + x.requests, 0)));
  const bw = hours.length ? Math.min(60, (W - left - right) / hours.length - 6) : 0;
  let svg = `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="tier mix per hour">`;
  hours.forEach((h, i) => {
    let y = H - bottom;
    const x = left + i * (bw + 6);
    tiers.forEach((t, k) => {
      const n = (d.tier_mix_24h.find((m) => m.hour_unix_ms === h && m.tier === t) || { requests: 0 }).requests;
      const bh = (H - bottom - 10) * n / max;
      y -= bh;
      svg += `<rect x="${x}" y="${y}" width="${bw}" height="${bh}" fill="${colors[k % colors.length]}"><title>${esc(t)}: ${n}</title></rect>`;
    });
    svg += `<text x="${x + bw / 2}" y="${H - 12}" font-size="11" text-anchor="middle">${new Date(h).getUTCHours()}:00</text>`;
  });
  tiers.forEach((t, k) => { svg += `<text x="${W - right + 10}" y="${20 + 18 * k}" fill="${colors[k % colors.length]}" font-size="13">${esc(t)}</text>`; });
  svg += `<text x="4" y="14" font-size="11" fill="#666">${max} req</text></svg>`;
  document.getElementById('mix').innerHTML = hours.length ? svg : '<p>No requests in the last 24 hours.</p>';
  document.body.dataset.ready = 'true';
}

async function load() {
  try {
    const res = await fetch('/dashboard/data.json', { cache: 'no-store' });
    render(await res.json());
  } catch (e) {
    document.getElementById('status').textContent = 'cannot reach fulcrum: ' + e;
  }
}
load();
setInterval(load, 2000);
</script>
</body>
</html>
)HTML";
  return page;
}

const std::string& DashboardData::page() const { return dashboard_page(); }

}  // namespace fulcrum
