import type { DeviceChangeView, DevicesView } from '../../protocol';
import { MuteButton } from './MuteButton';

/** Props of {@link DeviceSelector}. */
export interface DeviceSelectorProps {
  readonly devices: DevicesView;
  readonly onSelect: (kind: 'input' | 'output', deviceId: string) => void;
  readonly onVolume: (kind: 'speaker' | 'mic', volume: number) => void;
  /** Mutes the microphone on every call. */
  readonly onMuteAll: (muted: boolean) => void;
}

/** What a hot-plug change did, in one sentence: `USB Headset removed: microphone now Tone 440 Hz.` */
export function describeDeviceChange(c: DeviceChangeView): string {
  const parts: string[] = [];
  if (c.removed.length > 0) parts.push(`${c.removed.join(', ')} removed`);
  if (c.added.length > 0) parts.push(`${c.added.join(', ')} added`);
  const now = [...(c.inputNow ? [`microphone now ${c.inputNow}`] : []), ...(c.outputNow ? [`speaker now ${c.outputNow}`] : [])];
  return `${parts.join('; ')}${now.length > 0 ? `: ${now.join(', ')}` : ''}.`;
}

/**
 * Microphone and speaker choice (applies to the next calls and to the running ones), volumes,
 * the global mute, and the last sound card plugged or unplugged (the lists follow it live).
 */
export function DeviceSelector({ devices, onSelect, onVolume, onMuteAll }: DeviceSelectorProps) {
  const change = devices.lastChange;
  return (
    <section className="panel device-selector" aria-label="Devices">
      <h2>Devices</h2>
      {change ? (
        <p className={`device-change ${change.inputNow || change.outputNow ? 'warn' : ''}`} role="status" data-testid="device-change">
          {describeDeviceChange(change)}
        </p>
      ) : null}
      <label>
        Microphone
        <select aria-label="Microphone" value={devices.selectedInput} onChange={(e) => onSelect('input', e.target.value)}>
          {devices.inputs.map((d) => (
            <option key={d.id} value={d.id}>
              {d.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Speaker
        <select aria-label="Speaker" value={devices.selectedOutput} onChange={(e) => onSelect('output', e.target.value)}>
          {devices.outputs.map((d) => (
            <option key={d.id} value={d.id}>
              {d.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Speaker volume
        <input aria-label="Speaker volume" type="range" min={0} max={2} step={0.1} value={devices.speakerVolume} onChange={(e) => onVolume('speaker', Number(e.target.value))} />
      </label>
      <label>
        Microphone volume
        <input aria-label="Microphone volume" type="range" min={0} max={2} step={0.1} value={devices.micVolume} onChange={(e) => onVolume('mic', Number(e.target.value))} />
      </label>
      <MuteButton muted={devices.micMuted} onToggle={onMuteAll} label="Mute all" />
    </section>
  );
}
