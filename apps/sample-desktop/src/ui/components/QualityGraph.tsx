import type { QualitySample } from '../../protocol';

/** Props of {@link QualityGraph}. */
export interface QualityGraphProps {
  /** Samples of one call, oldest first. */
  readonly samples: readonly QualitySample[];
  readonly width?: number;
  readonly height?: number;
  /** How many of the latest samples to draw (default 60). */
  readonly window?: number;
}

interface Series {
  readonly key: 'mos' | 'jitterMs' | 'lossPct';
  readonly label: string;
  readonly unit: string;
  readonly className: string;
  /** Top of the scale (bottom is 0). */
  max(values: number[]): number;
}

const SERIES: readonly Series[] = [
  { key: 'mos', label: 'MOS', unit: '', className: 'mos', max: () => 5 },
  { key: 'jitterMs', label: 'Jitter', unit: 'ms', className: 'jitter', max: (v) => Math.max(20, ...v) * 1.1 },
  { key: 'lossPct', label: 'Loss', unit: '%', className: 'loss', max: (v) => Math.max(5, ...v) * 1.1 },
];

/**
 * A live line chart of a call's quality: MOS (scale 0..5), jitter (ms) and loss (%) over time,
 * each on its own scale, drawn as SVG polylines (no chart library). The legend shows the last
 * values.
 */
export function QualityGraph({ samples, width = 320, height = 120, window = 60 }: QualityGraphProps) {
  const shown = samples.slice(-window);
  const pad = 4;
  const last = shown[shown.length - 1];
  const x = (i: number): number => pad + (shown.length <= 1 ? 0 : (i / (shown.length - 1)) * (width - 2 * pad));
  return (
    <figure className="quality-graph" data-testid="quality-graph" data-samples={shown.length}>
      {/* Drawn in a width x height box, stretched to the card's width. */}
      <svg width="100%" height={height} viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label="Call quality: MOS, jitter and loss over time">
        <rect x={0} y={0} width={width} height={height} className="bg" />
        {[0.25, 0.5, 0.75].map((f) => (
          <line key={f} x1={0} x2={width} y1={height * f} y2={height * f} className="grid" vectorEffect="non-scaling-stroke" />
        ))}
        {shown.length > 0 &&
          SERIES.map((s) => {
            const values = shown.map((q) => q[s.key]);
            const top = s.max(values);
            const y = (v: number): number => height - pad - (Math.min(v, top) / top) * (height - 2 * pad);
            const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
            return <polyline key={s.key} points={shown.length === 1 ? `${points} ${(width - pad).toFixed(1)},${y(values[0] ?? 0).toFixed(1)}` : points} className={`series ${s.className}`} data-series={s.key} fill="none" vectorEffect="non-scaling-stroke" />;
          })}
      </svg>
      {shown.length === 0 && <div className="empty">waiting for statistics…</div>}
      <figcaption className="legend">
        {SERIES.map((s) => (
          <span key={s.key} className={`legend-item ${s.className}`} data-testid={`legend-${s.className}`}>
            {s.label} {last ? `${last[s.key].toFixed(s.key === 'mos' ? 2 : 1)}${s.unit}` : '–'}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
