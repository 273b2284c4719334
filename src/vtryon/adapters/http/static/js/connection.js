// One live WebSocket that keeps itself alive: exponential backoff with jitter between attempts, a
// heartbeat (ping/pong) that also measures round-trip time, and a `prepare` hook run before every attempt
// so the owner can renew or re-create the session the socket belongs to.

import { decodeBinary, decodeControl, encodeControl } from "./protocol.js";

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 8000;
const PING_EVERY_MS = 3000;
const PONG_DEADLINE_MS = 9000;
const READY_DEADLINE_MS = 8000;

export class LiveConnection extends EventTarget {
  /**
   * @param {{prepare: (lastClose: {code: number, reason: string, wasReady: boolean}|null) =>
   *   Promise<{url: string, protocols: string[]}>}} options
   */
  constructor({ prepare }) {
    super();
    this.prepare = prepare;
    this.ws = null;
    this.state = "idle"; // idle | connecting | open | waiting | closed
    this.attempt = 0;
    this.reconnects = 0;
    this.rttMs = null;
    this.ready = null;
    this.lastClose = null;
    this._retryTimer = null;
    this._pingTimer = null;
    this._readyTimer = null;
    this._pingId = 0;
    this._pings = new Map();
    this._stopped = true;
    this._everOpened = false;
    this._generation = 0; // bumped by every attempt, so a slow `prepare` cannot open a second socket
    addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.reconnectNow();
    });
  }

  get isOpen() {
    return this.state === "open" && this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  start() {
    this._stopped = false;
    this._connect();
  }

  stop() {
    this._stopped = true;
    clearTimeout(this._retryTimer);
    this._teardown(1000, "client closed");
    this._setState("closed");
  }

  /** Drop the current socket and connect again now (e.g. after switching sessions). */
  restart() {
    clearTimeout(this._retryTimer);
    this._teardown(1000, "switching session");
    this.lastClose = null;
    this.attempt = 0;
    if (!this._stopped) this._connect();
  }

  /** Skip the remaining backoff when the network comes back or the page becomes visible. */
  reconnectNow() {
    if (this._stopped || this.state !== "waiting") return;
    clearTimeout(this._retryTimer);
    this._connect();
  }

  sendBinary(buffer) {
    if (!this.isOpen) return false;
    this.ws.send(buffer);
    return true;
  }

  sendControl(message) {
    if (!this.isOpen) return false;
    this.ws.send(encodeControl(message));
    return true;
  }

  /** Bytes queued in the socket but not yet sent: a second guard against building latency. */
  get buffered() {
    return this.ws ? this.ws.bufferedAmount : 0;
  }

  _setState(state, detail = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, ...detail } }));
  }

  async _connect() {
    clearTimeout(this._retryTimer);
    const generation = ++this._generation;
    this._setState("connecting", { attempt: this.attempt });
    let target;
    try {
      target = await this.prepare(this.lastClose);
    } catch (err) {
      if (generation !== this._generation) return;
      this.dispatchEvent(new CustomEvent("problem", { detail: err }));
      return this._scheduleRetry();
    }
    if (this._stopped || generation !== this._generation) return;
    let ws;
    try {
      ws = new WebSocket(target.url, target.protocols);
    } catch (err) {
      this.dispatchEvent(new CustomEvent("problem", { detail: err }));
      return this._scheduleRetry();
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    let wasReady = false;
    this._readyTimer = setTimeout(() => {
      if (!wasReady) ws.close(4001, "no ready message");
    }, READY_DEADLINE_MS);

    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      if (typeof event.data === "string") {
        let message;
        try {
          message = decodeControl(event.data);
        } catch (err) {
          this.dispatchEvent(new CustomEvent("problem", { detail: err }));
          return;
        }
        if (message.type === "ready") {
          wasReady = true;
          clearTimeout(this._readyTimer);
          this.ready = message;
          if (this._everOpened) this.reconnects += 1;
          this._everOpened = true;
          this.attempt = 0;
          this.lastClose = null;
          this._startHeartbeat();
          this._setState("open", { ready: message });
        } else if (message.type === "pong") {
          this._onPong(message);
        }
        this.dispatchEvent(new CustomEvent("control", { detail: message }));
        return;
      }
      let decoded;
      try {
        decoded = decodeBinary(event.data);
      } catch (err) {
        this.dispatchEvent(new CustomEvent("problem", { detail: err }));
        return;
      }
      this.dispatchEvent(new CustomEvent("result", { detail: decoded }));
    };

    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this._teardown();
      this.lastClose = { code: event.code, reason: event.reason, wasReady };
      this.dispatchEvent(new CustomEvent("closed", { detail: this.lastClose }));
      if (!this._stopped) this._scheduleRetry();
    };
  }

  _scheduleRetry() {
    if (this._stopped) return;
    const exp = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** this.attempt);
    const delay = Math.round(exp * (0.8 + Math.random() * 0.4));
    this.attempt += 1;
    this._setState("waiting", { delay, attempt: this.attempt });
    this._retryTimer = setTimeout(() => this._connect(), delay);
  }

  _teardown(code, reason) {
    clearInterval(this._pingTimer);
    clearTimeout(this._readyTimer);
    this._pings.clear();
    const ws = this.ws;
    this.ws = null;
    if (ws && code !== undefined && ws.readyState <= WebSocket.OPEN) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.close(code, reason);
    }
  }

  _startHeartbeat() {
    clearInterval(this._pingTimer);
    const beat = () => {
      const now = performance.now();
      for (const sentAt of this._pings.values()) {
        if (now - sentAt > PONG_DEADLINE_MS) {
          // A half-open connection never fires onclose by itself; force it.
          this.ws && this.ws.close(4000, "heartbeat timeout");
          return;
        }
      }
      const id = ++this._pingId;
      this._pings.set(id, now);
      this.sendControl({ type: "ping", id, timestamp: performance.timeOrigin + now });
    };
    beat();
    this._pingTimer = setInterval(beat, PING_EVERY_MS);
  }

  _onPong(message) {
    const sentAt = this._pings.get(message.id);
    if (sentAt === undefined) return;
    this._pings.delete(message.id);
    this.rttMs = performance.now() - sentAt;
  }
}
