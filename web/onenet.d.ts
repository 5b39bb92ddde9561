// The `onenet` JavaScript API, as web/onenet.js exports it (also set as
// globalThis.onenet). Kept in step with wasm/core and wasm/mqtt.
//
// Synchronous calls throw an OnenetError; asynchronous ones reject with one.

/** An error from the API: `field` names the input at fault. */
export interface OnenetError extends Error {
  /** The input at fault: "productId", "deviceName", "key", "et", "method", "topic", "payload", "url", … or "". */
  field: string;
  /**
   * A stable code for translation, e.g. "payload.syntax", "mqtt.connack",
   * "token.key.base64": onenet's codes (onenet/doc.go), "token." + the token
   * package's (token/doc.go), "mqtt.*" of the MQTT client (wasm/mqtt).
   */
  code: string;
  /**
   * The values in the message, by name. A JSON syntax error adds "syntax",
   * the kind of mistake ("object.trailing", …; onenet/doc.go), and "char".
   */
  params: Record<string, unknown>;
  /** The explanation without the package prefix. */
  detail?: string;
  /** OneNET's reason code for a token problem: 1103, 1104, 1106, 1110, 1111, 1114. */
  reason?: number;
  /** The CONNACK return code of a refused login. */
  connack?: number;
}

export interface TokenOptions {
  /** The resource, raw; or give resKind with productId/deviceName/userId. */
  res?: string;
  resKind?: "device" | "product" | "user";
  productId?: string;
  deviceName?: string;
  userId?: string;
  /** The access key, base64, as the OneNET console shows it. */
  key: string;
  method?: "md5" | "sha1" | "sha256";
  /** Expiry in Unix seconds; or ttlSeconds from now. */
  et?: number | string;
  ttlSeconds?: number;
  version?: "2018-10-31" | "2022-05-01";
}

export interface ParsedToken {
  version: string;
  res: string;
  et: number;
  method: string;
  /** base64, decoded from the URL encoding. */
  sign: string;
  /** RFC 3339. */
  expiresAt: string;
}

export interface VerifyResult {
  valid: boolean;
  /** Why not, in English ("" when valid). */
  reason: string;
  /** OneNET's reason code (0 when valid). */
  code: number;
  field: string;
  expiresAt: string | null;
  token: ParsedToken | null;
  error?: { message: string; field: string; code: string; params: Record<string, unknown>; reason?: number };
}

export interface Warning {
  code: string;
  message: string;
  params: Record<string, unknown>;
  field?: string;
}

export interface TopicArgs {
  productId?: string;
  deviceName?: string;
  cmdId?: string;
  identifier?: string;
  /** For a "$subdev/…" kind: the sub-device's product id, in the topic in place of productId. */
  subProductId?: string;
  /** For a "$subdev/…" kind: the sub-device's name, in the topic in place of deviceName. */
  subDeviceName?: string;
}

export interface PayloadCheck {
  ok: boolean;
  error: string;
  /** 1-based position of a JSON syntax error (0 otherwise). */
  line: number;
  column: number;
  offset?: number;
  field?: string;
  code?: string;
  params?: Record<string, unknown>;
}

export interface Endpoint {
  name: string;
  host: string;
  port: number;
  tls: boolean;
  studio: boolean;
  label: string;
  addr: string;
}

export interface Message {
  topic: string;
  payload: Uint8Array;
  /** The payload decoded as UTF-8, on first use. */
  readonly text: string;
  qos: number;
  retained: boolean;
  duplicate: boolean;
  /** Milliseconds since the epoch. */
  receivedAt: number;
}

export interface StateEvent {
  state: "connecting" | "connected" | "reconnecting" | "closed";
  reason: string;
  error: OnenetError | null;
  /** Reconnecting: milliseconds until the next attempt; otherwise 0. */
  backoff: number;
  /** Reconnecting: failed attempts since the connection was lost (0 for the loss itself). */
  attempt: number;
  /** Connected again: the filters subscribed again (those refused this time not counted); otherwise 0. */
  resubscribed: number;
}

export interface ConnectOptions {
  /** ws:// or wss:// */
  url: string;
  clientId?: string;
  username?: string;
  /** A string, or a function called at every (re)connect (return a fresh token). */
  password?: string | (() => string | Promise<string>);
  /** Seconds; OneNET accepts 10–1800. Default 60. */
  keepAlive?: number;
  /** Default true (OneNET requires it). */
  cleanSession?: boolean;
  /** Seconds. Default 10. */
  connectTimeout?: number;
  /** Reconnect with backoff and resubscribe. Default true. */
  autoReconnect?: boolean;
  onMessage?: (m: Message) => void;
  /** Receives messages in batches (cheaper for floods). */
  onMessages?: (batch: Message[]) => void;
  onState?: (ev: StateEvent) => void;
}

export interface Client {
  readonly state: StateEvent["state"];
  /** Messages dropped because the page did not keep up. */
  readonly dropped: number;
  subscribe(filter: string, qos?: 0 | 1 | 2): Promise<number>;
  unsubscribe(filter: string): Promise<void>;
  /** Resolves once acknowledged (QoS 1, 2) or written (QoS 0). */
  publish(topic: string, payload: string | Uint8Array, opts?: { qos?: 0 | 1 | 2; retain?: boolean }): Promise<void>;
  disconnect(): Promise<void>;
}

export interface DeviceCodeSpec {
  /** The broker's MQTT over TCP address; tls with OneNET's CA in caFile (default onenet-ca.pem). */
  host: string;
  port: number;
  tls?: boolean;
  caFile?: string;
  productId: string;
  deviceName: string;
  /** Default deviceName and productId. */
  clientId?: string;
  username?: string;
  keepAlive?: number;
  topic: string;
  payload: string;
  qos?: 0 | 1;
  includeKey?: boolean;
  key?: string;
  method?: "md5" | "sha1" | "sha256";
  tokenVersion?: string;
  res?: string;
  /** Seconds the program's own tokens are valid (default 30 days); or et, Unix seconds. */
  ttl?: number;
  et?: number;
  token?: string;
  /** Unix seconds (default: now). */
  now?: number;
}

export interface Onenet {
  /** Resolves when the core module (tokens: token, tokenWarnings, parseToken, verifyToken) has started. */
  readonly ready: Promise<void>;
  /**
   * Resolves when the MQTT module has started (reading it starts loading
   * it). Every function below verifyToken is in that module: connect and
   * scenarioStart wait for it; the others throw an Error with code
   * "loading" when called before it has started.
   */
  readonly mqttReady: Promise<void>;
  version: string;
  token(opts: TokenOptions): string;
  /** Advice that is not an error: a past expiry, beyond uint32, … */
  tokenWarnings(opts: TokenOptions): Warning[];
  parseToken(token: string): ParsedToken;
  verifyToken(token: string, key: string, opts?: { res?: string; now?: number | Date }): VerifyResult;
  topic(kind: string, args: TopicArgs): string;
  parseTopic(topic: string): { kind: string; productId: string; deviceName: string; cmdId: string; identifier: string; error?: unknown };
  kinds(): { kind: string; direction: "up" | "down"; replyTo: string }[];
  checkPayload(kind: string, text: string): PayloadCheck;
  checkConnect(opts: { clientId?: string; username?: string; keepAlive?: number; cleanSession?: boolean; will?: boolean; kit?: boolean }): Warning[];
  checkPublish(opts: { topic: string; productId?: string; deviceName?: string; qos?: number; retain?: boolean; payloadLength?: number }): Warning[];
  /** null when OneNET accepts the filter, else the error. */
  checkFilter(filter: string, ids: TopicArgs): null | { message: string; field: string; code: string };
  endpoints(): Endpoint[];
  explainConnack(code: number): string;
  /** The languages deviceCode writes. */
  codeLanguages(): { id: "mosquitto" | "python" | "node" | "quecpython" | "c"; label: string; fileName: string; computesToken: boolean }[];
  /**
   * The device as code (onenet/devcode): a program that logs in as the
   * device, subscribes to the replies of topic, publishes payload once and
   * prints the answer. It carries token (or one made from key, which then
   * stays out), or with includeKey the key itself and makes its own tokens.
   */
  deviceCode(language: string, spec: DeviceCodeSpec): string;
  connect(opts: ConnectOptions): Promise<Client>;
  // The thing model (docs/PROTOCOL.md §9), in the MQTT module: await
  // mqttReady first. The model is passed as its text at every call.
  /** Parses an exported thing model; returns it as JSON (properties, events, services with their data types). Throws an error naming the path. */
  thingModel(text: string): string;
  /** Checks one value (JSON text) of a property, an event's output ("event", owner the event), or a service's "input"/"output" (owner the service). */
  tmCheckValue(model: string, where: "property" | "event" | "input" | "output", owner: string, identifier: string, value: string): ThingCheck;
  /** Checks a whole thing-model message of the given topic kind against the model (identifier: the service, for invoke topics). */
  tmCheckMessage(model: string, kind: string, identifier: string, payload: string): ThingCheck;
  /** A valid request of the kind built from the model, its times nowMs. */
  tmExample(model: string, kind: string, identifier: string, id: string, nowMs: number): string;
  /** The device's reply to a platform request (property/set, property/get, service invoke; identifier: the service) built from the model: the values asked for, or the service's output. Throws the model's refusal of the request. */
  tmReply(model: string, kind: string, identifier: string, request: string, nowMs: number): string;
  // Scenarios (docs/SCENARIOS.md), in the MQTT module.
  /**
   * Parses a scenario and starts its devices; resolves with the run's
   * handle. base is the local server's host:port (targets "local" and
   * "relay:…"); keys maps "{product}/{device}" or "{product}" to an access
   * key for devices whose file gives none; files maps the names the
   * scenario uses (thing models, CSV files) to their text. A bad file
   * rejects with its problems, each named by its path, in detail.
   */
  scenarioStart(text: string, opts?: { base?: string; keys?: Record<string, string>; files?: Record<string, string>; seed?: number }): Promise<number>;
  /** The run's report and each device's state and counts, as JSON text ({report, devices}). */
  scenarioStatus(handle: number): string;
  /** Stops every device of the run; resolves with the final report as JSON text once all have disconnected. */
  scenarioStop(handle: number): Promise<string>;
}

export interface ThingCheck {
  ok: boolean;
  error?: { message: string; field: string; code: string; detail?: string; params: Record<string, string> };
}

export declare const onenet: Onenet;
export default onenet;
