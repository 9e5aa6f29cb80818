import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fireEvent, fn, userEvent, within } from 'storybook/test';
import { DeviceSelector } from '../components/DeviceSelector';
import { devices, headsetInUse, headsetRemoved } from './fixtures';

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

/** A headset plugged in: listed, selectable, selected for the call. */
export const HeadsetInUse: Story = {
  args: { devices: { ...headsetInUse, lastChange: { t: 0, added: ['USB Headset'], removed: [] } }, onSelect: fn(), onVolume: fn(), onMuteAll: fn() },
  play: async ({ canvasElement }) => {
    const c = within(canvasElement);
    await expect(c.getByTestId('device-change')).toHaveTextContent('USB Headset added.');
    await expect(c.getByRole('combobox', { name: 'Microphone' })).toHaveValue('card:hw:CARD=Headset,DEV=0');
    await expect(c.getByRole('combobox', { name: 'Speaker' })).toHaveValue('card:hw:CARD=Headset,DEV=0');
  },
};

/** The headset in use is unplugged: it leaves both lists, the selection falls back, a notice says where the call went. */
export const HeadsetRemovedInUse: Story = {
  args: { devices: headsetRemoved, onSelect: fn(), onVolume: fn(), onMuteAll: fn() },
  play: async ({ canvasElement }) => {
    const c = within(canvasElement);
    await expect(c.getByRole('status')).toHaveTextContent('USB Headset removed: microphone now Tone 440 Hz, speaker now Record to WAV.');
    await expect(c.getByRole('status')).toHaveClass('warn');
    const mic = c.getByRole('combobox', { name: 'Microphone' });
    await expect(mic).toHaveValue('tone:440');
    await expect(within(mic).queryByRole('option', { name: 'USB Headset' })).toBeNull();
    await expect(c.getByRole('combobox', { name: 'Speaker' })).toHaveValue('record');
  },
};
