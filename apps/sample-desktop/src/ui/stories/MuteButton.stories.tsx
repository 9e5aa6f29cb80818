import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, userEvent, within } from 'storybook/test';
import { MuteButton } from '../components/MuteButton';

const meta = { title: 'Calls/MuteButton', component: MuteButton, args: { muted: false, onToggle: fn() } } satisfies Meta<typeof MuteButton>;
export default meta;
type Story = StoryObj<typeof meta>;

/** Unmuted: a click asks to mute. */
export const Unmuted: Story = {
  args: { muted: false, onToggle: fn() },
  play: async ({ canvasElement, args }) => {
    const b = within(canvasElement).getByRole('button', { name: 'Mute' });
    await expect(b).toHaveAttribute('aria-pressed', 'false');
    await userEvent.click(b);
    await expect(args.onToggle).toHaveBeenCalledWith(true);
  },
};

/** Muted: a click asks to unmute. */
export const Muted: Story = {
  args: { muted: true, onToggle: fn() },
  play: async ({ canvasElement, args }) => {
    await userEvent.click(within(canvasElement).getByRole('button', { name: 'Unmute' }));
    await expect(args.onToggle).toHaveBeenCalledWith(false);
  },
};
