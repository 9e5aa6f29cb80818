import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, userEvent, within } from 'storybook/test';
import { DtmfPad } from '../components/DtmfPad';

const meta = { title: 'Calls/DtmfPad', component: DtmfPad, args: { onDigit: fn() } } satisfies Meta<typeof DtmfPad>;
export default meta;
type Story = StoryObj<typeof meta>;

/** Twelve keys, each sends its digit; received digits shown. */
export const Keypad: Story = {
  args: { onDigit: fn(), received: '12#' },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await expect(c.getAllByRole('button')).toHaveLength(12);
    await userEvent.click(c.getByRole('button', { name: 'DTMF *' }));
    await expect(args.onDigit).toHaveBeenCalledWith('*');
    await expect(c.getByTestId('dtmf-received')).toHaveTextContent('12#');
  },
};
