/**
 * The chart of a drill as one inline SVG (no script, no external font, no link): acknowledged
 * writes per second and path (api, sql) in the top panel; refused (red) and unknown (orange)
 * operations per second as bars in a strip under it; the median latency per path (and the max as
 * a thin line) on a log scale in the bottom panel; each fault's window (injection → healing) shaded across both panels, with
 * vertical markers at the promotion of a new leader and the first acknowledged write after the
 * fault. x is seconds since the start of the run. Pure and deterministic: coordinates are rounded
 * to 0.1 and every list is sorted, so the same run gives the same bytes.
 */
import type { Lang } from '../../../policies/types.ts';
import { escHtml as esc } from '../../reports/pv/escape.ts';
import { num } from '../../reports/pv/format.ts';
import type { DrillRun, OpPath, SeriesPoint } from '../types.ts';
import { faultLabel, label as L } from './labels.ts';

const W = 1000;
const H = 480;
const LEFT = 70;
const RIGHT = 24;
const PW = W - LEFT - RIGHT;
/** Top panel: acknowledged writes per second. */
const A = { top: 70, bottom: 230 };
/** Strip under it: refused and unknown operations per second, bars hanging from its top. */
const F = { top: 238, bottom: 288 };
/** Bottom panel: latency. */
const B = { top: 310, bottom: 425 };

const PATHS: readonly OpPath[] = ['api', 'sql'];
const COLOR: Record<OpPath, string> = { api: '#1f5fa8', sql: '#148f77' };
const RED = '#c0392b';
const ORANGE = '#e67e22';
const SHADE = '#7d3c98';
const PROMOTED = '#6c3483';
const FIRST_WRITE = '#117a65';
const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif"';

/** A coordinate rounded to 0.1, never NaN, never -0. */
function c(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const r = Math.round(n * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

/** 1, 2 or 5 × 10^k, the smallest not below `raw` (> 0). */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

const X_STEPS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600];

function xStep(xMax: number): number {
  return X_STEPS.find((s) => xMax / s <= 12) ?? Math.ceil(xMax / 12 / 3600) * 3600;
}

interface Marker {
  at: number;
  kind: 'promoted' | 'first-write-after';
}

/** Polyline segments of (t, v) points: a gap in t (missing second) or an undefined value breaks the line. */
function segments(points: SeriesPoint[], value: (p: SeriesPoint) => number | undefined): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = [];
  let cur: Array<[number, number]> = [];
  let prevT: number | undefined;
  for (const p of points) {
    const v = value(p);
    if (!finite(v) || (prevT !== undefined && p.t - prevT > 1)) {
      if (cur.length) out.push(cur);
      cur = [];
    }
    if (finite(v)) cur.push([p.t, v]);
    prevT = p.t;
  }
  if (cur.length) out.push(cur);
  return out;
}

export function chartSvg(run: DrillRun, lang: Lang): string {
  const series = (Array.isArray(run.series) ? run.series : []).filter((p) => p && finite(p.t) && PATHS.includes(p.path));
  const byPath = new Map<OpPath, SeriesPoint[]>();
  for (const path of PATHS) {
    const pts = series.filter((p) => p.path === path).sort((a, b) => a.t - b.t);
    if (pts.length) byPath.set(path, pts);
  }
  const faults = Array.isArray(run.faults) ? run.faults : [];
  const windows = faults.map((f, i) => {
    const events = (Array.isArray(f?.events) ? f.events : []).filter((e) => e && finite(e.at));
    const injected = events.find((e) => e.kind === 'injected');
    const healed = injected ? events.find((e) => e.kind === 'healed' && e.at >= injected.at) : undefined;
    const markers: Marker[] = events
      .filter((e): e is typeof e & { kind: Marker['kind'] } => e.kind === 'promoted' || e.kind === 'first-write-after')
      .map((e) => ({ at: e.at / 1000, kind: e.kind }));
    return { index: i + 1, fault: f, from: injected ? injected.at / 1000 : undefined, to: healed ? healed.at / 1000 : undefined, markers, events };
  });

  // x domain: [0, the end of the last second of the series or the last event].
  let xMax = 1;
  for (const p of series) xMax = Math.max(xMax, p.t + 1);
  for (const w of windows) for (const e of w.events) xMax = Math.max(xMax, e.at / 1000);
  const x = (s: number) => LEFT + (Math.min(Math.max(s, 0), xMax) / xMax) * PW;

  // Top panel: acknowledged per second and path, with headroom for the fault labels.
  let okTop = 0;
  for (const p of series) if (finite(p.ok)) okTop = Math.max(okTop, p.ok);
  const yStep = Math.max(1, niceStep(Math.max(okTop * 1.2, 1) / 5));
  const yMax = Math.max(yStep, Math.ceil((okTop * 1.2) / yStep) * yStep);
  const yA = (v: number) => A.bottom - (Math.max(0, Math.min(v, yMax)) / yMax) * (A.bottom - A.top);

  // Strip: failed + unknown per second (all paths), hanging from the strip's top.
  const bad = new Map<number, { failed: number; unknown: number }>();
  for (const p of series) {
    const b = bad.get(p.t) ?? { failed: 0, unknown: 0 };
    b.failed += finite(p.failed) ? Math.max(0, p.failed) : 0;
    b.unknown += finite(p.unknown) ? Math.max(0, p.unknown) : 0;
    bad.set(p.t, b);
  }
  let badTop = 0;
  for (const b of bad.values()) badTop = Math.max(badTop, b.failed + b.unknown);
  const fMax = Math.max(1, niceStep(Math.max(badTop, 1)));
  const hF = (v: number) => (Math.max(0, Math.min(v, fMax)) / fMax) * (F.bottom - F.top);

  // Bottom panel: log10 of ms, from 1 ms to the next decade above the largest latency.
  let latTop = 1;
  for (const p of series) {
    if (finite(p.p50Ms)) latTop = Math.max(latTop, p.p50Ms);
    if (finite(p.maxMs)) latTop = Math.max(latTop, p.maxMs);
  }
  const decades = Math.max(1, Math.ceil(Math.log10(latTop) - 1e-9));
  const yB = (ms: number) => B.bottom - (Math.log10(Math.min(Math.max(ms, 1), 10 ** decades)) / decades) * (B.bottom - B.top);

  const out: string[] = [];
  const title = L('chart', lang);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="pv-chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" ${FONT} font-size="11">`,
    `<title>${esc(title)}</title>`,
    `<rect class="bg" x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
  );

  // Fault windows, behind everything, across the three panels.
  for (const w of windows) {
    if (w.from === undefined) continue;
    const x0 = x(w.from);
    const x1 = x(w.to ?? xMax);
    out.push(
      `<rect class="fault" data-fault="${w.index}" x="${c(x0)}" y="${A.top}" width="${c(Math.max(x1 - x0, 1))}" height="${B.bottom - A.top}" fill="${SHADE}" fill-opacity="0.12"/>`,
      `<text x="${c(x0 + 4)}" y="${A.top + 12}" fill="${SHADE}" font-weight="600">${esc(`${w.index} · ${faultLabel(w.fault?.spec?.kind ?? '', lang)}${w.fault?.site ? ` ${w.fault.site}` : ''}`)}</text>`,
    );
  }

  // Grids, ticks and axis titles.
  const grid: string[] = [];
  const step = xStep(xMax);
  for (let s = 0; s <= xMax + 1e-9; s += step) {
    const xs = x(s);
    grid.push(`<line x1="${c(xs)}" y1="${A.top}" x2="${c(xs)}" y2="${B.bottom}" stroke="#e6e9ee"/>`);
    grid.push(`<text x="${c(xs)}" y="${B.bottom + 16}" text-anchor="middle" fill="#444">${esc(num(s, 0, lang))}</text>`);
  }
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    const ys = yA(v);
    grid.push(`<line x1="${LEFT}" y1="${c(ys)}" x2="${W - RIGHT}" y2="${c(ys)}" stroke="#eef0f3"/>`);
    grid.push(`<text x="${LEFT - 6}" y="${c(ys + 4)}" text-anchor="end" fill="#444">${esc(num(v, Number.isInteger(v) ? 0 : 1, lang))}</text>`);
  }
  grid.push(`<text x="${LEFT - 6}" y="${c(F.top + 8)}" text-anchor="end" fill="#444">0</text>`);
  grid.push(`<line x1="${LEFT}" y1="${F.bottom}" x2="${W - RIGHT}" y2="${F.bottom}" stroke="#eef0f3"/>`);
  grid.push(`<text x="${LEFT - 6}" y="${c(F.bottom + 2)}" text-anchor="end" fill="#444">${esc(num(fMax, Number.isInteger(fMax) ? 0 : 1, lang))}</text>`);
  for (let d = 0; d <= decades; d++) {
    const ys = yB(10 ** d);
    grid.push(`<line x1="${LEFT}" y1="${c(ys)}" x2="${W - RIGHT}" y2="${c(ys)}" stroke="#eef0f3"/>`);
    grid.push(`<text x="${LEFT - 6}" y="${c(ys + 4)}" text-anchor="end" fill="#444">${esc(num(10 ** d, 0, lang))}</text>`);
  }
  out.push(`<g class="grid">${grid.join('')}</g>`);
  const vTitle = (top: number, bottom: number, text: string, size = 11) =>
    `<text transform="rotate(-90 16 ${c((top + bottom) / 2)})" x="16" y="${c((top + bottom) / 2)}" text-anchor="middle" fill="#222" font-size="${size}">${esc(text)}</text>`;
  out.push(
    `<g class="axes" stroke="#555" fill="none"><path d="M${LEFT} ${A.top}V${A.bottom}H${W - RIGHT}"/><path d="M${LEFT} ${F.top}V${F.bottom}M${LEFT} ${F.top}H${W - RIGHT}"/><path d="M${LEFT} ${B.top}V${B.bottom}H${W - RIGHT}"/></g>`,
    `<text x="${c(LEFT + PW / 2)}" y="${B.bottom + 36}" text-anchor="middle" fill="#222">${esc(L('seconds', lang))}</text>`,
    vTitle(A.top, A.bottom, L('opsPerSecond', lang)),
    vTitle(F.top, F.bottom, L('failuresPerSecond', lang), 10),
    vTitle(B.top, B.bottom, L('latency', lang)),
  );

  // Failed (red) and unknown (orange) per second, stacked downwards from the strip's top.
  const bars: string[] = [];
  const slot = PW / xMax;
  const bw = Math.max(1, slot - 1);
  for (const t of [...bad.keys()].sort((a, b) => a - b)) {
    const b = bad.get(t)!;
    const x0 = x(t) + (slot - bw) / 2;
    if (b.failed > 0) bars.push(`<rect class="failed" x="${c(x0)}" y="${F.top}" width="${c(bw)}" height="${c(hF(b.failed))}" fill="${RED}"/>`);
    if (b.unknown > 0)
      bars.push(
        `<rect class="unknown" x="${c(x0)}" y="${c(F.top + hF(b.failed))}" width="${c(bw)}" height="${c(hF(b.failed + b.unknown) - hF(b.failed))}" fill="${ORANGE}"/>`,
      );
  }
  out.push(`<g class="bad">${bars.join('')}</g>`);

  // Lines: acknowledged per path (top), p50 and max latency per path (bottom).
  const line = (segs: Array<Array<[number, number]>>, y: (v: number) => number, color: string, width: number, opacity: string, cls: string) =>
    segs
      .map((seg) =>
        seg.length === 1
          ? `<circle class="${cls}" cx="${c(x(seg[0]![0] + 0.5))}" cy="${c(y(seg[0]![1]))}" r="${c(width + 1)}" fill="${color}"${opacity}/>`
          : `<path class="${cls}" d="${seg.map(([t, v], i) => `${i ? 'L' : 'M'}${c(x(t + 0.5))} ${c(y(v))}`).join('')}" fill="none" stroke="${color}" stroke-width="${width}"${opacity}/>`,
      )
      .join('');
  for (const [path, pts] of byPath) {
    out.push(
      line(
        segments(pts, (p) => p.ok),
        yA,
        COLOR[path],
        1.8,
        '',
        `ok ${path}`,
      ),
    );
    out.push(
      line(
        segments(pts, (p) => p.maxMs),
        yB,
        COLOR[path],
        0.7,
        ' stroke-opacity="0.55" fill-opacity="0.55"',
        `max ${path}`,
      ),
    );
    out.push(
      line(
        segments(pts, (p) => p.p50Ms),
        yB,
        COLOR[path],
        1.6,
        '',
        `p50 ${path}`,
      ),
    );
  }
  if (!series.length)
    out.push(
      `<text class="empty" x="${c(LEFT + PW / 2)}" y="${c((A.top + A.bottom) / 2)}" text-anchor="middle" fill="#888" font-size="16">${esc(L('noData', lang))}</text>`,
    );

  // Markers: promotion and first write after, labelled above the top panel on alternating rows.
  const markers = windows.flatMap((w) => w.markers).sort((a, b) => a.at - b.at || a.kind.localeCompare(b.kind));
  markers.forEach((m, i) => {
    const xs = x(m.at);
    const color = m.kind === 'promoted' ? PROMOTED : FIRST_WRITE;
    const dash = m.kind === 'promoted' ? '5 3' : '2 2';
    const text = L(m.kind === 'promoted' ? 'markerPromoted' : 'markerFirstWrite', lang);
    out.push(
      `<line class="marker ${m.kind}" x1="${c(xs)}" y1="${A.top - (i % 2 ? 4 : 16)}" x2="${c(xs)}" y2="${B.bottom}" stroke="${color}" stroke-width="1.2" stroke-dasharray="${dash}"/>`,
      `<text x="${c(xs)}" y="${A.top - (i % 2 ? 6 : 18)}" text-anchor="middle" fill="${color}" font-size="10">${esc(text)}</text>`,
    );
  });

  // Legend.
  const legend: string[] = [];
  let lx = LEFT;
  const item = (swatch: string, text: string) => {
    legend.push(`<g transform="translate(${c(lx)} 14)">${swatch}<text x="22" y="9" fill="#222">${esc(text)}</text></g>`);
    lx += 34 + text.length * 6.2;
  };
  for (const path of byPath.keys()) item(`<line x1="0" y1="5" x2="16" y2="5" stroke="${COLOR[path]}" stroke-width="2"/>`, path);
  item(
    `<line x1="0" y1="3" x2="16" y2="3" stroke="#555" stroke-width="1.6"/><line x1="0" y1="8" x2="16" y2="8" stroke="#555" stroke-width="0.7"/>`,
    `${L('p50', lang)} / ${L('max', lang)}`,
  );
  item(`<rect x="3" y="0" width="10" height="10" fill="${RED}"/>`, L('failedPerSecond', lang));
  item(`<rect x="3" y="0" width="10" height="10" fill="${ORANGE}"/>`, L('unknownPerSecond', lang));
  item(`<rect x="0" y="0" width="16" height="10" fill="${SHADE}" fill-opacity="0.12"/>`, L('faultWindow', lang));
  item(`<line x1="8" y1="0" x2="8" y2="10" stroke="${PROMOTED}" stroke-dasharray="5 3"/>`, L('markerPromoted', lang));
  item(`<line x1="8" y1="0" x2="8" y2="10" stroke="${FIRST_WRITE}" stroke-dasharray="2 2"/>`, L('markerFirstWrite', lang));
  out.push(`<g class="legend">${legend.join('')}</g>`);
  out.push('</svg>');
  return out.join('\n');
}
