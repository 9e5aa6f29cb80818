import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, userEvent, within } from 'storybook/test';
import { SessionList } from '../components/SessionList';
import { NOW, call, callActions, connected, ended, held, qualitySamples, ringing } from './fixtures';

const meta = { title: 'Calls/SessionList', component: SessionList, args: { now: NOW, calls: [], actions: callActions() } } satisfies Meta<typeof SessionList>;
export default meta;
type Story = StoryObj<typeof meta>;

/** No call. */
export const Empty: Story = {
  args: { calls: [] },
  play: async ({ canvasElement }) => {
    await expect(within(canvasElement).getByText('No call.')).toBeVisible();
  },
};

/** A held call and a new one ringing: answer the second. */
export const HeldAndRinging: Story = {
  args: { calls: [held, ringing], actions: callActions() },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    const cards = c.getAllByTestId('call');
    await expect(cards.map((e) => e.getAttribute('data-state'))).toEqual(['Connected', 'Alerting']);
    const second = cards[1];
    if (!second) throw new Error('two cards expected');
    await userEvent.click(within(second).getByRole('button', { name: 'Answer' }));
    await expect(args.actions.answer).toHaveBeenCalledWith('call-ringing');
  },
};

/** Two calls in a conference, with their graphs, and a recent ended call. */
export const Conference: Story = {
  args: {
    calls: [call('conf-a', { conferencedWith: 'conf-b' }), call('conf-b', { remote: 'sip:2003@sip-a.example', conferencedWith: 'conf-a' }), ended],
    samples: { 'conf-a': qualitySamples('conf-a'), 'conf-b': qualitySamples('conf-b', 30) },
    actions: callActions(),
  },
  play: async ({ canvasElement }) => {
    const c = within(canvasElement);
    await expect(c.getAllByTestId('conference')).toHaveLength(2);
    await expect(c.getByText('Recent calls (1)')).toBeVisible();
  },
};

/** Two connected calls: either can join the other. */
export const TwoCalls: Story = {
  args: { calls: [connected, held], actions: callActions() },
  play: async ({ canvasElement, args }) => {
    const c = within(canvasElement);
    await userEvent.click(c.getByRole('button', { name: 'Conference with 2002' }));
    await expect(args.actions.conference).toHaveBeenCalledWith('call-held', 'call-connected');
  },
};
