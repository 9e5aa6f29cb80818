/**
 * The table of live dialogs of a UA (RFC 3261 §12): lookup by dialog ID for incoming in-dialog
 * requests and for responses, several early dialogs for one forked INVITE (§12.1.2, §13.2.2.4),
 * removal on termination.
 */
import { Disposable, Emitter, ErrorCode, SdkError, type Event, type IDisposable } from '@sip-endpoint/base';
import type { SipRequest, SipResponse } from '../message/index';
import { DialogState, dialogIdKey, type Dialog, type DialogId } from './dialog';
import { tagOf } from './util';

/** Payload of {@link DialogRegistry.onDidAddDialog} and {@link DialogRegistry.onDidRemoveDialog}. */
export interface DialogRegistryChange {
  readonly dialog: Dialog;
}

/**
 * Live dialogs by ID. {@link DialogRegistry.add} hands a dialog to the registry: it is removed
 * when it terminates (and disposes itself), and disposing the registry disposes (terminates)
 * every dialog it still holds.
 */
export class DialogRegistry extends Disposable {
  private readonly dialogs = new Map<string, { dialog: Dialog; listener: IDisposable }>();

  private readonly _onDidAddDialog = this._register(new Emitter<DialogRegistryChange>());
  /** Fires when a dialog is added. */
  readonly onDidAddDialog: Event<DialogRegistryChange> = this._onDidAddDialog.event;
  private readonly _onDidRemoveDialog = this._register(new Emitter<DialogRegistryChange>());
  /** Fires when a dialog leaves the registry (it terminated, or the registry is disposed). */
  readonly onDidRemoveDialog: Event<DialogRegistryChange> = this._onDidRemoveDialog.event;

  /**
   * Adds a live dialog and takes ownership of it.
   * @throws SdkError(INVALID_ARGUMENT) when a dialog with the same ID is registered, or the
   *   dialog is terminated; SdkError(DISPOSED) when the registry is disposed
   */
  add(dialog: Dialog): void {
    if (this.isDisposed) throw new SdkError(ErrorCode.Disposed, 'the dialog registry is disposed');
    if (dialog.state === DialogState.Terminated) throw new SdkError(ErrorCode.InvalidArgument, 'cannot register a terminated dialog');
    const key = dialogIdKey(dialog.id);
    if (this.dialogs.has(key)) throw new SdkError(ErrorCode.InvalidArgument, `a dialog with ID ${dialog.id.callId}/${dialog.id.localTag}/${dialog.id.remoteTag} is already registered`);
    const listener = dialog.onDidChangeState((e) => {
      if (e.state === DialogState.Terminated) this.remove(key);
    });
    this.dialogs.set(key, { dialog, listener });
    this._onDidAddDialog.fire({ dialog });
  }

  /** The dialog with this ID, if registered. */
  get(id: DialogId): Dialog | undefined {
    return this.dialogs.get(dialogIdKey(id))?.dialog;
  }

  /**
   * The dialog an incoming request belongs to (RFC 3261 §12.2.2): local tag = the To tag,
   * remote tag = the From tag. `undefined` for a request without a To tag (not in a dialog)
   * or an unknown dialog (the UA answers 481).
   */
  findForRequest(request: SipRequest): Dialog | undefined {
    const localTag = tagOf(request.to);
    if (localTag === undefined) return undefined;
    return this.get({ callId: request.callId, localTag, remoteTag: tagOf(request.from) ?? '' });
  }

  /**
   * The dialog a response to one of our requests belongs to: local tag = the From tag, remote
   * tag = the To tag. A 1xx/2xx of a forked INVITE with a new To tag finds nothing: the UA
   * creates a new dialog for it ({@link DialogRegistry.findEarly} lists the siblings).
   */
  findForResponse(response: SipResponse): Dialog | undefined {
    const localTag = tagOf(response.from);
    if (localTag === undefined) return undefined;
    return this.get({ callId: response.callId, localTag, remoteTag: tagOf(response.to) ?? '' });
  }

  /**
   * Every registered dialog with this Call-ID and local tag: the dialogs (early or confirmed) of
   * one forked request, one per remote tag (RFC 3261 §12.1.2, §13.2.2.4).
   */
  findByCall(callId: string, localTag: string): Dialog[] {
    const out: Dialog[] = [];
    for (const { dialog } of this.dialogs.values()) if (dialog.id.callId === callId && dialog.id.localTag === localTag) out.push(dialog);
    return out;
  }

  /** Like {@link DialogRegistry.findByCall}, restricted to early dialogs. */
  findEarly(callId: string, localTag: string): Dialog[] {
    return this.findByCall(callId, localTag).filter((d) => d.state === DialogState.Early);
  }

  /** How many dialogs are registered. */
  get size(): number {
    return this.dialogs.size;
  }

  /** Every registered dialog. */
  all(): Dialog[] {
    return [...this.dialogs.values()].map((e) => e.dialog);
  }

  /** Disposes (terminates) every dialog still registered, then the registry. */
  override dispose(): void {
    if (this.isDisposed) return;
    for (const { dialog } of [...this.dialogs.values()]) dialog.dispose();
    super.dispose();
  }

  private remove(key: string): void {
    const entry = this.dialogs.get(key);
    if (!entry) return;
    this.dialogs.delete(key);
    entry.listener.dispose();
    this._onDidRemoveDialog.fire({ dialog: entry.dialog });
  }
}
