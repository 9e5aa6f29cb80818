import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, within } from 'storybook/test';
import { QualityGraph } from '../components/QualityGraph';
import { qualitySamples } from './fixtures';

const meta = { title: 'Quality/QualityGraph', component: QualityGraph, args: { samples: [] } } satisfies Meta<typeof QualityGraph>;
export default meta;
type Story = StoryObj<typeof meta>;

/** A minute of a call with a burst of loss and jitter: three lines, legend with the last values. */
export const Burst: Story = {
  args: { samples: qualitySamples('q', 60), width: 480, height: 160 },
  play: async ({ canvasElement }) => {
    const c = within(canvasElement);
    const lines = canvasElement.querySelectorAll('polyline');
    await expect(lines).toHaveLength(3);
    const mosPoints = (lines[0]?.getAttribute('points') ?? '').split(' ');
    await expect(mosPoints).toHaveLength(60);
    // MOS at 4.4 sits near the top of its 0..5 scale: y well above the middle.
    const lastMosY = Number(mosPoints[mosPoints.length - 1]?.split(',')[1]);
    await expect(lastMosY).toBeLessThan(160 / 2);
    await expect(c.getByTestId('legend-mos')).toHaveTextContent(/MOS 4\.\d\d/);
    await expect(c.getByTestId('legend-loss')).toHaveTextContent('Loss 0.0%');
  },
};

/** Only the last `window` samples are drawn. */
export const Window: Story = {
  args: { samples: qualitySamples('q', 120), window: 30 },
  play: async ({ canvasElement }) => {
    await expect(within(canvasElement).getByTestId('quality-graph')).toHaveAttribute('data-samples', '30');
  },
};

/** Before the first statistics. */
export const Waiting: Story = {
  args: { samples: [] },
  play: async ({ canvasElement }) => {
    const c = within(canvasElement);
    await expect(c.getByText('waiting for statistics…')).toBeVisible();
    await expect(canvasElement.querySelectorAll('polyline')).toHaveLength(0);
  },
};
