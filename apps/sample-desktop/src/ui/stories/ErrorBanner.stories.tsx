import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, userEvent, within } from 'storybook/test';
import { ErrorBanner } from '../components/ErrorBanner';

const meta = { title: 'Feedback/ErrorBanner', component: ErrorBanner, args: { errors: [], onDismiss: fn() } } satisfies Meta<typeof ErrorBanner>;
export default meta;
type Story = StoryObj<typeof meta>;

/** A failed command, as the host reports it. */
export const CommandFailed: Story = {
  args: {
    errors: [
      { id: 2, command: 'hold', code: 'INVALID_STATE', message: 'cannot hold: the session is Alerting' },
      { id: 1, command: 'dial', code: 'INVALID_STATE', message: 'no Ready connection to dial on' },
    ],
    onDismiss: fn(),
  },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await expect(c.getAllByTestId('error')).toHaveLength(2);
    await expect(c.getAllByTestId('error')[0]).toHaveTextContent('hold failed INVALID_STATE cannot hold');
    const [, second] = c.getAllByRole('button', { name: 'Dismiss' });
    if (!second) throw new Error('two Dismiss buttons expected');
    await userEvent.click(second);
    await expect(args.onDismiss).toHaveBeenCalledWith(1);
  },
};

/** No error: nothing rendered. */
export const None: Story = {
  args: { errors: [], onDismiss: fn() },
  play: async ({ canvasElement }) => {
    await expect(within(canvasElement).queryByRole('alert')).toBeNull();
  },
};
