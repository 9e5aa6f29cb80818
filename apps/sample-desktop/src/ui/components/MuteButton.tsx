/** Props of {@link MuteButton}. */
export interface MuteButtonProps {
  readonly muted: boolean;
  readonly onToggle: (muted: boolean) => void;
  readonly disabled?: boolean;
  /** Accessible label prefix (default "Mute"). */
  readonly label?: string;
}

/** A toggle for the microphone; calls `onToggle` with the new muted flag. */
export function MuteButton({ muted, onToggle, disabled, label = 'Mute' }: MuteButtonProps) {
  return (
    <button type="button" className={muted ? 'toggle on' : 'toggle'} aria-pressed={muted} disabled={disabled} onClick={() => onToggle(!muted)}>
      {muted ? `Un${label.toLowerCase()}` : label}
    </button>
  );
}
