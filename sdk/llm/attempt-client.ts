/**
 * The `openai` client of a pool endpoint, and the handle through which the pool aborts one attempt.
 *
 * Where you are: `llm/`, used by `pool-endpoint.ts` (the client) and `llm-pool.ts` (the handles). The
 * client already makes an AbortController per request (its `fetchWithTimeout` gets it, and the fetch and
 * the reply's body follow its signal). Passing the client a signal of our own meant a second controller
 * per attempt only to abort the first, and an AbortSignal costs ~6 µs of CPU on Node 20 (it is made
 * transferable; measured: 5-8 µs per `new AbortController().signal`, issue #13). So the attempt hands its
 * handle along in `fetchOptions` instead, and the client attaches its own controller to it.
 */
import OpenAI from "openai";

const HANDLE = Symbol("matrix.attemptAbort");

/** Aborts one attempt's request: now if the client's controller is attached, else as soon as it is. */
export class AttemptAbort {
  #controller: AbortController | undefined;
  #aborted = false;

  get aborted(): boolean {
    return this.#aborted;
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#controller?.abort();
  }

  /** Called by the client with the controller of the request it is about to send. */
  attach(controller: AbortController): void {
    this.#controller = controller;
    if (this.#aborted) controller.abort();
  }

  /** The request options that carry this handle to the client (`fetchOptions` reach `fetchWithTimeout`). */
  requestOptions(): { fetchOptions: Record<symbol, AttemptAbort> } {
    return { fetchOptions: { [HANDLE]: this } };
  }
}

type FetchWithTimeout = OpenAI["fetchWithTimeout"];

export class AttemptClient extends OpenAI {
  override fetchWithTimeout(
    ...[url, init, ms, controller]: Parameters<FetchWithTimeout>
  ): ReturnType<FetchWithTimeout> {
    const handle = (init as Record<symbol, unknown> | undefined)?.[HANDLE];
    if (handle instanceof AttemptAbort) handle.attach(controller);
    return super.fetchWithTimeout(url, init, ms, controller);
  }
}
