/**
 * The topic page's throughput chart: records in per second, from the topic's high
 * watermarks (summed over partitions) sampled every few seconds while the page is open;
 * each point is the delta over the seconds between two samples. Drawn as a small inline
 * SVG; its text alternative is the SVG's label and a visible line with the latest figure.
 */
import type { TopicDescription } from '../../client/types.ts';
import { h } from '../dom.ts';
import { rates, rateText, type Sample } from '../format.ts';
import type { PageContext } from '../page.ts';

const everyMs = 3_000;
const windowMs = 5 * 60_000;
const width = 480;
const height = 80;
const svgNs = 'http://www.w3.org/2000/svg';

const totalOf = (topic: TopicDescription): number => topic.partitions.reduce((sum, p) => sum + p.highWatermark, 0);

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs)) element.setAttribute(k, String(v));
  return element;
}

/** The chart, sampling until the page is left (context.signal). */
export function throughputChart(context: PageContext, topic: TopicDescription): HTMLElement {
  const samples: Sample[] = [{ at: Date.now(), total: totalOf(topic) }];
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', class: 'chart' });
  const summary = h('p', { class: 'chart-text' });
  const draw = (): void => {
    const points = rates(samples);
    const latest = points.at(-1)?.total;
    const peak = points.reduce((max, p) => Math.max(max, p.total), 0);
    const minutes = Math.max(1, Math.round((samples.at(-1)!.at - samples[0]!.at) / 60_000));
    const text =
      latest === undefined
        ? `Records in per second: measuring (a sample every ${everyMs / 1000} s).`
        : `Records in per second over the last ${minutes} minute${minutes === 1 ? '' : 's'}: latest ${rateText(latest)}, peak ${rateText(peak)}.`;
    chart.setAttribute('aria-label', text);
    summary.textContent = text;
    const now = samples.at(-1)!.at;
    const top = Math.max(peak, 1);
    const x = (at: number): number => width - ((now - at) / windowMs) * width;
    const y = (rate: number): number => height - 2 - (rate / top) * (height - 14);
    const line = points.map((p) => `${x(p.at).toFixed(1)},${y(p.total).toFixed(1)}`).join(' ');
    const peakLabel = svg('text', { x: 4, y: 11, class: 'chart-label' });
    peakLabel.textContent = rateText(top);
    chart.replaceChildren(
      svg('line', { x1: 0, y1: height - 1, x2: width, y2: height - 1, class: 'chart-axis' }),
      peakLabel,
      ...(points.length > 0 ? [svg('polyline', { points: points.length === 1 ? `${x(points[0]!.at) - 2},${y(points[0]!.total)} ${line}` : line, class: 'chart-line' })] : []),
    );
  };
  draw();
  const timer = setInterval(() => {
    context.client
      .describeTopic(topic.name, { signal: context.signal })
      .then((now) => {
        samples.push({ at: Date.now(), total: totalOf(now) });
        while (samples.length > 2 && samples[0]!.at < Date.now() - windowMs) samples.shift();
        draw();
      })
      .catch(() => undefined); // a missed sample leaves a gap; the next one carries on
  }, everyMs);
  context.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  return h('figure', { class: 'throughput', 'aria-labelledby': 'throughput-title' }, h('figcaption', { id: 'throughput-title' }, 'Throughput (records in per second, last 5 minutes)'), chart, summary);
}
