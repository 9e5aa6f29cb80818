import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fireEvent, fn, userEvent, within } from 'storybook/test';
import { DeviceSelector } from '../components/DeviceSelector';
import { devices } from './fixtures';

const meta = {
  title: 'Devices/DeviceSelector',
  component: DeviceSelector,
  args: { devices, onSelect: fn(), onVolume: fn(), onMuteAll: fn() },
} satisfies Meta<typeof DeviceSelector>;
export default meta;
type Story = StoryObj<typeof meta>;

/** Pick a microphone and a speaker, change a volume, mute everything. */
export const Select: Story = {
  args: { devices, onSelect: fn(), onVolume: fn(), onMuteAll: fn() },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await expect(c.getByRole('combobox', { name: 'Microphone' })).toHaveValue('tone:440');
    await userEvent.selectOptions(c.getByRole('combobox', { name: 'Microphone' }), 'tone:1000');
    await expect(args.onSelect).toHaveBeenCalledWith('input', 'tone:1000');
    await userEvent.selectOptions(c.getByRole('combobox', { name: 'Speaker' }), 'discard');
    await expect(args.onSelect).toHaveBeenCalledWith('output', 'discard');
    fireEvent.change(c.getByRole('slider', { name: 'Speaker volume' }), { target: { value: '0.5' } });
    await expect(args.onVolume).toHaveBeenCalledWith('speaker', 0.5);
    await userEvent.click(c.getByRole('button', { name: 'Mute all' }));
    await expect(args.onMuteAll).toHaveBeenCalledWith(true);
  },
};
