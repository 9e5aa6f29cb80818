import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, userEvent, within } from 'storybook/test';
import { AppView } from '../App';
import { NOW, call, failedLine, headsetRemoved, held, qualitySamples, readyLine, ringing, secondLine, snapshot } from './fixtures';

const meta = {
  title: 'App/Softphone',
  component: AppView,
  parameters: { layout: 'fullscreen' },
  args: { now: NOW, send: fn(), dismissError: fn(), state: { connection: 'open', samples: {}, dtmf: {}, errors: [] } },
} satisfies Meta<typeof AppView>;
export default meta;
type Story = StoryObj<typeof meta>;

/** Mid-call on two lines with the quality graph; answering a second call sends the command. */
export const TwoLinesInCall: Story = {
  args: {
    send: fn(),
    state: {
      connection: 'open',
      snapshot: snapshot({ lines: [readyLine, secondLine], calls: [call('call-1'), { ...ringing, lineId: secondLine.id }], recordings: [{ file: '/tmp/sample-desktop/2001-1.wav', sessionId: 'call-1' }] }),
      samples: { 'call-1': qualitySamples('call-1') },
      dtmf: {},
      errors: [],
    },
  },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await expect(c.getByTestId('endpoint-status')).toHaveTextContent('Active');
    await expect(c.getAllByTestId('line')).toHaveLength(2);
    await userEvent.click(c.getByRole('button', { name: 'Answer' }));
    await expect(args.send).toHaveBeenCalledWith({ name: 'answer', sessionId: 'call-ringing' });
    await userEvent.type(c.getByRole('textbox', { name: 'Number' }), '2003');
    await userEvent.click(c.getByRole('button', { name: 'Call' }));
    await expect(args.send).toHaveBeenCalledWith({ name: 'dial', target: '2003' });
  },
};

/** One site refuses the registration, a command failed: both visible. */
export const FailedRegistration: Story = {
  args: {
    dismissError: fn(),
    state: {
      connection: 'open',
      snapshot: snapshot({ status: 'Inactive', lines: [{ ...failedLine, index: 0 }] }),
      samples: {},
      dtmf: {},
      errors: [{ id: 1, command: 'dial', code: 'INVALID_STATE', message: 'no Ready connection to dial on' }],
    },
  },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await expect(c.getByTestId('endpoint-status')).toHaveTextContent('Inactive');
    await expect(c.getByRole('button', { name: 'Call' })).toBeDisabled();
    await userEvent.click(c.getByRole('button', { name: 'Dismiss' }));
    await expect(args.dismissError).toHaveBeenCalledWith(1);
  },
};

/** A held call and a connected one: conference them. */
export const Conference: Story = {
  args: {
    send: fn(),
    state: { connection: 'open', snapshot: snapshot({ calls: [call('call-1'), held] }), samples: { 'call-1': qualitySamples('call-1', 20) }, dtmf: {}, errors: [] },
  },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await userEvent.click(c.getByRole('button', { name: 'Conference with 2004' }));
    await expect(args.send).toHaveBeenCalledWith({ name: 'conference', sessionId: 'call-1', otherSessionId: 'call-held' });
  },
};

/** The host is gone: the UI says so. */
export const Disconnected: Story = {
  args: { state: { connection: 'closed', samples: {}, dtmf: {}, errors: [] } },
  play: async ({ canvasElement }) => {
    const c = within(canvasElement);
    await expect(c.getByTestId('host-connection')).toHaveTextContent('host closed');
    await expect(c.getByText('Connecting to the host…')).toBeVisible();
  },
};

/** Mid-call, the headset the call used is unplugged: the call goes on, the devices panel says where its audio went. */
export const HeadsetUnpluggedMidCall: Story = {
  args: {
    send: fn(),
    state: { connection: 'open', snapshot: snapshot({ calls: [call('call-1')], devices: headsetRemoved }), samples: { 'call-1': qualitySamples('call-1', 20) }, dtmf: {}, errors: [] },
  },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await expect(c.getByTestId('device-change')).toHaveTextContent('USB Headset removed');
    await expect(c.getByRole('button', { name: 'Hang up' })).toBeVisible();
    // The user picks another microphone: one command, applied by the host to the running call too.
    await userEvent.selectOptions(c.getByRole('combobox', { name: 'Microphone' }), 'tone:1000');
    await expect(args.send).toHaveBeenCalledWith({ name: 'selectDevice', kind: 'input', deviceId: 'tone:1000' });
  },
};
