import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, within } from 'storybook/test';
import { LineList } from '../components/LineList';
import { failedLine, readyLine, secondLine } from './fixtures';

const meta = { title: 'Lines/LineList', component: LineList } satisfies Meta<typeof LineList>;
export default meta;
type Story = StoryObj<typeof meta>;

/** One registered line. */
export const Registered: Story = {
  args: { lines: [readyLine] },
  play: async ({ canvasElement }) => {
    const c = within(canvasElement);
    await expect(c.getByText('Ready')).toBeVisible();
    await expect(c.getAllByTestId('line')).toHaveLength(1);
  },
};

/** Two lines (two SIP Server sites), both Ready. */
export const TwoLines: Story = {
  args: { lines: [readyLine, secondLine] },
  play: async ({ canvasElement }) => {
    const c = within(canvasElement);
    const lines = c.getAllByTestId('line');
    await expect(lines).toHaveLength(2);
    await expect(lines[1]).toHaveTextContent('sip-b.example:5060');
  },
};

/** The second site refuses the registration: the line is Failed and says why. */
export const FailedRegistration: Story = {
  args: { lines: [readyLine, failedLine] },
  play: async ({ canvasElement }) => {
    const c = within(canvasElement);
    await expect(c.getAllByTestId('line')[1]).toHaveAttribute('data-line-state', 'Failed');
    await expect(c.getByRole('status')).toHaveTextContent('403 Forbidden');
  },
};

/** A standalone line (no registration). */
export const Standalone: Story = {
  args: { lines: [{ ...readyLine, registers: false }] },
  play: async ({ canvasElement }) => {
    await expect(within(canvasElement).getByText('Ready (standalone)')).toBeVisible();
  },
};
