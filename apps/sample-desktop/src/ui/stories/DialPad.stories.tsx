import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, userEvent, within } from 'storybook/test';
import { DialPad } from '../components/DialPad';
import { readyLine, secondLine } from './fixtures';

const meta = { title: 'Dialling/DialPad', component: DialPad, args: { onDial: fn() } } satisfies Meta<typeof DialPad>;
export default meta;
type Story = StoryObj<typeof meta>;

/** Key in 2002 and press Call. */
export const KeyIn: Story = {
  args: { onDial: fn(), lines: [readyLine] },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await expect(c.getByRole('button', { name: 'Call' })).toBeDisabled();
    for (const k of ['2', '0', '0', '3']) await userEvent.click(c.getByRole('button', { name: `Key ${k}` }));
    await userEvent.click(c.getByRole('button', { name: 'Delete digit' }));
    await userEvent.click(c.getByRole('button', { name: 'Key 2' }));
    await expect(c.getByRole('textbox', { name: 'Number' })).toHaveValue('2002');
    await userEvent.click(c.getByRole('button', { name: 'Call' }));
    await expect(args.onDial).toHaveBeenCalledWith('2002', undefined);
  },
};

/** Two lines: pick the second site, type a URI, press Enter. */
export const TwoLines: Story = {
  args: { onDial: fn(), lines: [readyLine, secondLine] },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await userEvent.selectOptions(c.getByRole('combobox', { name: 'Line' }), secondLine.id);
    await userEvent.type(c.getByRole('textbox', { name: 'Number' }), 'sip:2002@sip-b.example{Enter}');
    await expect(args.onDial).toHaveBeenCalledWith('sip:2002@sip-b.example', secondLine.id);
  },
};

/** No Ready line: Call stays disabled. */
export const Disabled: Story = {
  args: { onDial: fn(), disabled: true, initial: '2002' },
  play: async ({ canvasElement, args }) => {
    await expect(within(canvasElement).getByRole('button', { name: 'Call' })).toBeDisabled();
    await expect(args.onDial).not.toHaveBeenCalled();
  },
};
