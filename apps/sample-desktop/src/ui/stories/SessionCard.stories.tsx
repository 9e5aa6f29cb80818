import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, within } from 'storybook/test';
import { SessionCard } from '../components/SessionCard';
import { NOW, call, callActions, connected, dialling, ended, held, qualitySamples, ringing } from './fixtures';

const meta = {
  title: 'Calls/SessionCard',
  component: SessionCard,
  args: { now: NOW, actions: callActions(), call: connected },
} satisfies Meta<typeof SessionCard>;
export default meta;
type Story = StoryObj<typeof meta>;

/** An incoming call rings: Answer and Reject. */
export const Ringing: Story = {
  args: { call: ringing, actions: callActions() },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await expect(c.getByTestId('call-state')).toHaveTextContent('Ringing');
    await expect(c.getByText('0:04')).toBeVisible();
    await userEvent.click(c.getByRole('button', { name: 'Answer' }));
    await expect(args.actions.answer).toHaveBeenCalledWith('call-ringing');
    await userEvent.click(c.getByRole('button', { name: 'Reject' }));
    await expect(args.actions.reject).toHaveBeenCalledWith('call-ringing');
    await expect(c.queryByRole('button', { name: 'Hold' })).toBeNull();
  },
};

/** An outgoing call rings out: only Cancel. */
export const Dialling: Story = {
  args: { call: dialling, actions: callActions() },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await expect(c.getByTestId('call-state')).toHaveTextContent('Dialling');
    await userEvent.click(c.getByRole('button', { name: 'Cancel' }));
    await expect(args.actions.hangup).toHaveBeenCalledWith('call-dialling');
  },
};

/** A connected call with its quality graph: hold, mute, DTMF, blind transfer, hang up. */
export const Connected: Story = {
  args: { call: connected, samples: qualitySamples('call-connected'), actions: callActions() },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await expect(c.getByTestId('call-state')).toHaveTextContent('Connected');
    await expect(c.getByText('1:05')).toBeVisible();
    await expect(c.getByTestId('packets-received')).toHaveTextContent('3248');
    await expect(c.getByTestId('quality-graph')).toHaveAttribute('data-samples', '60');
    await userEvent.click(c.getByRole('button', { name: 'Hold' }));
    await expect(args.actions.hold).toHaveBeenCalledWith('call-connected');
    await userEvent.click(c.getByRole('button', { name: 'Mute' }));
    await expect(args.actions.mute).toHaveBeenCalledWith('call-connected', true);
    await userEvent.click(c.getByRole('button', { name: 'Keypad' }));
    await userEvent.click(c.getByRole('button', { name: 'DTMF 5' }));
    await userEvent.click(c.getByRole('button', { name: 'DTMF #' }));
    await expect(args.actions.sendDtmf).toHaveBeenNthCalledWith(1, 'call-connected', '5');
    await expect(args.actions.sendDtmf).toHaveBeenNthCalledWith(2, 'call-connected', '#');
    await userEvent.click(c.getByRole('button', { name: 'Transfer' }));
    await userEvent.type(c.getByRole('textbox', { name: 'Transfer target' }), '2003');
    await userEvent.click(c.getByRole('button', { name: 'Blind transfer' }));
    await expect(args.actions.transfer).toHaveBeenCalledWith('call-connected', '2003');
    await expect(c.queryByRole('dialog')).toBeNull();
    await userEvent.click(c.getByRole('button', { name: 'Hang up' }));
    await expect(args.actions.hangup).toHaveBeenCalledWith('call-connected');
  },
};

/** A held call: Retrieve instead of Hold. */
export const Held: Story = {
  args: { call: held, actions: callActions() },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await expect(c.getByTestId('call')).toHaveAttribute('data-held', 'true');
    await expect(c.getByTestId('call-state')).toHaveTextContent('Held');
    await expect(c.queryByRole('button', { name: 'Hold' })).toBeNull();
    await userEvent.click(c.getByRole('button', { name: 'Retrieve' }));
    await expect(args.actions.retrieve).toHaveBeenCalledWith('call-held');
  },
};

/** A muted call: the button unmutes. */
export const Muted: Story = {
  args: { call: call('call-muted', { muted: true }), actions: callActions() },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    const b = c.getByRole('button', { name: 'Unmute' });
    await expect(b).toHaveAttribute('aria-pressed', 'true');
    await userEvent.click(b);
    await expect(args.actions.mute).toHaveBeenCalledWith('call-muted', false);
  },
};

/** Attended transfer: consult 2003 from the transfer dialog. */
export const Consult: Story = {
  args: { call: connected, actions: callActions() },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await userEvent.click(c.getByRole('button', { name: 'Transfer' }));
    const consult = c.getByRole('button', { name: 'Consult' });
    await expect(consult).toBeDisabled();
    await userEvent.type(c.getByRole('textbox', { name: 'Transfer target' }), '2003');
    await userEvent.click(consult);
    await expect(args.actions.consult).toHaveBeenCalledWith('call-connected', '2003');
  },
};

/** The held call of an attended transfer, its consultation call connected: complete the transfer. */
export const CompleteTransfer: Story = {
  args: {
    call: held,
    others: [held, call('call-consult', { remote: 'sip:2003@sip-a.example', consultationFor: 'call-held' })],
    actions: callActions(),
  },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await userEvent.click(c.getByRole('button', { name: 'Complete transfer to 2003' }));
    await expect(args.actions.completeTransfer).toHaveBeenCalledWith('call-held');
  },
};

/** Two connected calls: join them in a conference. */
export const ConferenceAvailable: Story = {
  args: { call: connected, others: [connected, held], actions: callActions() },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await userEvent.click(c.getByRole('button', { name: 'Conference with 2004' }));
    await expect(args.actions.conference).toHaveBeenCalledWith('call-connected', 'call-held');
  },
};

/** A call in a local three-way conference. */
export const InConference: Story = {
  args: {
    call: call('conf-a', { conferencedWith: 'conf-b' }),
    others: [call('conf-a', { conferencedWith: 'conf-b' }), call('conf-b', { remote: 'sip:2003@sip-a.example', conferencedWith: 'conf-a' })],
    samples: qualitySamples('conf-a', 20),
    actions: callActions(),
  },
  play: async ({ canvasElement }) => {
    const c = within(canvasElement);
    await expect(c.getByTestId('conference')).toHaveTextContent('Conference with 2003');
    await expect(c.queryByRole('button', { name: /Conference with/ })).toBeNull();
  },
};

/** An ended call shows its end cause and no buttons. */
export const Ended: Story = {
  args: { call: ended, actions: callActions() },
  play: async ({ canvasElement }) => {
    const c = within(canvasElement);
    await expect(c.getByTestId('call-state')).toHaveTextContent('Ended');
    await expect(c.getByText(/Ended by remote: 200 BYE/)).toBeVisible();
    await expect(c.queryAllByRole('button')).toHaveLength(0);
  },
};
