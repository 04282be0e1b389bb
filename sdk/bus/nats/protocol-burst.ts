/**
 * One burst of a bus's traffic (JetStream publishes and the acks of deliveries) handed to the NATS
 * connection as one buffer of protocol.
 *
 * Where you are: `bus/nats/`. Only the hop publisher (jetstream-publisher.ts) uses it: it collects
 * what is sent in a turn of the event loop and ends the burst once.
 *
 * Why our own writer instead of the client's `publish` and `msg.ack()`: in @nats-io/nats-core 3.4
 * each of them builds its protocol line as a string, encodes it with a TextEncoder into an
 * ArrayBuffer of its own and queues three or four pieces that the connection copies into one buffer
 * before the socket write. Writing the lines and payloads of a whole burst straight into one buffer
 * cut a worker's CPU per hop by about 5 µs of 35 and raised hops/s by 10–15% (bench/nats-bus.ts,
 * A/B in alternating rounds on a 2-core machine). The bytes on the wire are what the client would
 * send: `HPUB <subject> <reply> <header bytes> <total bytes>` with a `Nats-Msg-Id` header, and
 * `PUB <reply> 4` with `+ACK`.
 *
 * It reaches into the client: the connection's protocol handler (`sendCommand`, `noMorePublishing`,
 * `info.max_payload`, the out counters) as nats-core 3.4 (pinned by @nats-io/transport-node 3.4.0)
 * has it. `protocolBurstFor` checks for those and gives the client's own publish and ack instead when
 * a connection lacks them (another client version passed to `new NatsBus`): the same messages, slower.
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import { escapeName } from "../escape-name.js";

/** A burst in the making. `publish` throws (and leaves the message out) when the client would have. */
export interface ProtocolBurst {
  /** Which writer: one buffer of protocol, or the client's publish and ack. */
  readonly kind: "buffer" | "client";
  /** Acks a delivery (`+ACK` to its reply subject). */
  ack(msg: JsMsg): void;
  /** A publish whose JetStream ack comes back to `reply` (the publisher's inbox), deduplicated by `msgID`. */
  publish(subject: string, data: Uint8Array, msgID: string, reply: string): void;
  /** Hands what was collected to the connection, which sends it in one socket write. */
  end(): void;
}

/** The parts of nats-core 3.4's ProtocolHandler this writes through. */
interface ProtocolHandler {
  sendCommand(command: Uint8Array): void;
  noMorePublishing: boolean;
  info?: { max_payload?: number };
  outBytes: number;
  outMsgs: number;
}

/** What a header value may hold as it is: printable ASCII (no CR/LF, no spaces the client would trim). */
const HEADER_SAFE = /^[\x21-\x7e]+$/;
const WHITESPACE = /\s/;
const CRLF_LENGTH = 2;

/**
 * The `Nats-Msg-Id` header as the client writes it. The id is escaped one to one (escape-name.ts) when
 * it holds anything else: a row id with a newline used to make every publish of its task throw, and
 * one with spaces at its ends was trimmed. Printable ASCII: its length is its byte length.
 */
function msgIdHeader(msgID: string): string {
  return `NATS/1.0\r\nNats-Msg-Id: ${escapeName(msgID, HEADER_SAFE)}\r\n\r\n`;
}

function checkSubject(subject: string): void {
  if (subject.length === 0 || WHITESPACE.test(subject))
    throw new Error(`the subject ${JSON.stringify(subject)} is empty or holds whitespace`);
}

/** Writes straight into the connection's outbound queue; see the file header. */
class BufferBurst implements ProtocolBurst {
  readonly kind = "buffer";
  /** Protocol text before each payload (an ack's text holds its payload), and the payloads. */
  private lines: string[] = [];
  private payloads: (Uint8Array | undefined)[] = [];
  private bytes = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly protocol: ProtocolHandler,
  ) {}

  ack(msg: JsMsg): void {
    const reply = (msg as JsMsg & { reply?: unknown }).reply;
    if (typeof reply !== "string" || reply === "") {
      msg.ack();
      return;
    }
    this.checkOpen();
    const line = `PUB ${reply} 4\r\n+ACK\r\n`;
    this.lines.push(line);
    this.payloads.push(undefined);
    this.bytes += Buffer.byteLength(line);
    this.protocol.outBytes += 4;
    this.protocol.outMsgs++;
  }

  publish(subject: string, data: Uint8Array, msgID: string, reply: string): void {
    this.checkOpen();
    // The reply is the publisher's own inbox and a counter: nothing to check.
    checkSubject(subject);
    const header = msgIdHeader(msgID);
    const length = header.length + data.length;
    const max = this.protocol.info?.max_payload;
    if (max !== undefined && length > max)
      throw new Error(`the message is ${length} bytes, over the server's max_payload of ${max}`);
    const line = `HPUB ${subject} ${reply} ${header.length} ${length}\r\n${header}`;
    this.lines.push(line);
    this.payloads.push(data);
    this.bytes += Buffer.byteLength(line) + data.length + CRLF_LENGTH;
    this.protocol.outBytes += length;
    this.protocol.outMsgs++;
  }

  end(): void {
    if (this.lines.length === 0) return;
    const out = Buffer.allocUnsafe(this.bytes);
    let at = 0;
    for (let i = 0; i < this.lines.length; i++) {
      at += out.write(this.lines[i]!, at);
      const payload = this.payloads[i];
      if (payload === undefined) continue;
      out.set(payload, at);
      at += payload.length;
      out[at++] = 0x0d;
      out[at++] = 0x0a;
    }
    this.lines = [];
    this.payloads = [];
    this.bytes = 0;
    this.protocol.sendCommand(out);
  }

  /** What the client checks before every publish (nats.js `_check`). */
  private checkOpen(): void {
    if (this.nc.isClosed()) throw new Error("the connection is closed");
    if (this.protocol.noMorePublishing) throw new Error("the connection is draining");
  }
}

/** The client's own publish and ack, for a connection without the handler above. */
class ClientBurst implements ProtocolBurst {
  readonly kind = "client";
  constructor(private readonly nc: NatsConnection) {}

  ack(msg: JsMsg): void {
    msg.ack();
  }

  publish(subject: string, data: Uint8Array, msgID: string, reply: string): void {
    // nats-core reads the headers it is given only through encode() (not in the MsgHdrs type).
    const bytes = Buffer.from(msgIdHeader(msgID));
    this.nc.publish(subject, data, { reply, headers: { encode: () => bytes } as unknown as MsgHdrs });
  }

  end(): void {
    // The client queued each message as it came; it writes them together at the end of this turn.
  }
}

/** The fast writer when the connection has nats-core 3.4's protocol handler, the client's otherwise. */
export function protocolBurstFor(nc: NatsConnection, options: { viaClient?: boolean } = {}): ProtocolBurst {
  const protocol = (nc as NatsConnection & { protocol?: Partial<ProtocolHandler> }).protocol;
  const usable =
    typeof protocol?.sendCommand === "function" &&
    typeof protocol.noMorePublishing === "boolean" &&
    typeof protocol.outBytes === "number" &&
    typeof protocol.outMsgs === "number";
  return usable && !options.viaClient ? new BufferBurst(nc, protocol as ProtocolHandler) : new ClientBurst(nc);
}
