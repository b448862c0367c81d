import type { UsagePoint } from '../api/types';
import { formatCount } from '../format';

const WIDTH = 720;
const HEIGHT = 200;
const PAD = { top: 12, right: 12, bottom: 28, left: 48 };

/** The axis top: 1, 2, 4, 6 or 8 × a power of ten, at least 2, so the middle gridline is a whole number too. */
function niceCeiling(value: number): number {
  if (value <= 2) return 2;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 4, 6, 8, 10].find((step) => step * power >= value) ?? 10) * power;
}

const STEP_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/**
 * The api answers only the buckets that had calls; a chart needs every bucket of [from, to), the
 * empty ones as zero, so a quiet hour shows as a gap rather than disappearing.
 */
export function fillBuckets(
  points: UsagePoint[],
  from: string,
  to: string,
  granularity: keyof typeof STEP_MS,
): UsagePoint[] {
  const byStart = new Map(points.map((p) => [new Date(p.start).getTime(), p]));
  const filled: UsagePoint[] = [];
  for (let t = new Date(from).getTime(); t < new Date(to).getTime(); t += STEP_MS[granularity]) {
    filled.push(
      byStart.get(t) ?? {
        start: new Date(t).toISOString(),
        calls: 0,
        errors: 0,
        errorRate: 0,
        bytesIn: 0,
        bytesOut: 0,
        billableUnits: 0,
        overageUnits: 0,
        latencyMs: { p50: 0, p95: 0, p99: 0 },
      },
    );
  }
  return filled;
}

/**
 * Calls per bucket as bars, errors stacked in red: what a consumer looks at first ("did my traffic
 * change, and is it failing?"). Plain SVG: one chart does not need a charting library.
 */
export function UsageChart({
  points,
  granularity,
}: {
  points: UsagePoint[];
  granularity: keyof typeof STEP_MS;
}) {
  if (points.length === 0) return null;
  const max = niceCeiling(Math.max(...points.map((p) => p.calls)));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / points.length;
  const barWidth = Math.max(1, slot * 0.8);
  const y = (value: number) => PAD.top + plotHeight - (value / max) * plotHeight;
  const label = (iso: string) => {
    const date = new Date(iso);
    return granularity === 'day'
      ? date.toLocaleDateString('en', { month: 'short', day: 'numeric' })
      : date.toLocaleTimeString('en', { hour: '2-digit', minute: '2-digit' });
  };
  const every = Math.ceil(points.length / 6);
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`Calls per ${granularity}: ${formatCount(points.reduce((n, p) => n + p.calls, 0))} in all`}
    >
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(max * f)} y2={y(max * f)} className="grid" />
          <text x={PAD.left - 6} y={y(max * f) + 4} textAnchor="end" className="axis">
            {formatCount(max * f)}
          </text>
        </g>
      ))}
      {points.map((p, i) => {
        const x = PAD.left + i * slot + (slot - barWidth) / 2;
        return (
          <g key={p.start} data-testid="usage-bar" data-calls={p.calls}>
            <title>{`${label(p.start)}: ${p.calls} calls, ${p.errors} errors, p95 ${p.latencyMs.p95} ms`}</title>
            <rect x={x} width={barWidth} y={y(p.calls)} height={y(0) - y(p.calls)} className="bar" />
            {p.errors > 0 && (
              <rect
                x={x}
                width={barWidth}
                y={y(p.errors)}
                height={y(0) - y(p.errors)}
                className="bar-error"
              />
            )}
            {i % every === 0 && (
              <text x={x + barWidth / 2} y={HEIGHT - 8} textAnchor="middle" className="axis">
                {label(p.start)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
