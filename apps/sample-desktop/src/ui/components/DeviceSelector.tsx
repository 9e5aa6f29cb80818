import type { DevicesView } from '../../protocol';
import { MuteButton } from './MuteButton';

/** Props of {@link DeviceSelector}. */
export interface DeviceSelectorProps {
  readonly devices: DevicesView;
  readonly onSelect: (kind: 'input' | 'output', deviceId: string) => void;
  readonly onVolume: (kind: 'speaker' | 'mic', volume: number) => void;
  /** Mutes the microphone on every call. */
  readonly onMuteAll: (muted: boolean) => void;
}

/** Microphone and speaker choice (applies to the next call), volumes, and the global mute. */
export function DeviceSelector({ devices, onSelect, onVolume, onMuteAll }: DeviceSelectorProps) {
  return (
    <section className="panel device-selector" aria-label="Devices">
      <h2>Devices</h2>
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
