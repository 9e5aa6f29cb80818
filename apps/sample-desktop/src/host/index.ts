/**
 * @packageDocumentation
 * The desktop host of the sample softphone: {@link startDesktopHost} runs an endpoint and serves
 * the React UI with a WebSocket speaking the protocol of `../protocol.ts`.
 */
export { startDesktopHost, CommandError, UI_DIST_DIR, UI_SOURCE_DIR, type DesktopHost, type DesktopHostOptions } from './host';
export { AudioRouter, type AudioRouterOptions } from './audio';
export * from '../protocol';
