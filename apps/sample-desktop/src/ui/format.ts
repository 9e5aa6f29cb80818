/** Small formatting helpers of the UI. */

/** `m:ss` (or `h:mm:ss`) of a duration in ms. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The user part of a SIP URI (`sip:2002@127.0.0.1:5060` -> `2002`), or the text as is. */
export function displayParty(remote: string): string {
  const m = /<?sips?:([^@>;]+)@/.exec(remote);
  return m?.[1] ?? remote;
}
