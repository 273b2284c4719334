// Keeps a live session usable: creates it through the REST API (explore mode from a catalogue design,
// upload mode from a reference picture), extends it before it runs out, and when the server says it is
// gone (close 1008 "expired" / "not_found", or a 404/410 on look-up) renews or re-creates it — so the
// page never needs a reload.

import { api, apiKey, ApiError } from "./api.js";
import { CLOSE_POLICY, SUBPROTOCOL } from "./protocol.js";

const RENEW_BEFORE_S = 60;

export class SessionKeeper extends EventTarget {
  constructor({ mirrored }) {
    super();
    this.session = null;
    this.mirrored = mirrored;
    // What to re-create when the session is lost: {mode: "explore", post_id} or {mode: "upload", file}.
    this.recipe = null;
    this.recreated = 0;
    this.autoRenew = true; // extend shortly before expiry; tests turn it off to reach the expiry path
    this._renewTimer = null;
  }

  get id() {
    return this.session ? this.session.id : null;
  }

  useDesign(postId) {
    this.recipe = { mode: "explore", post_id: postId };
  }

  useReference(file) {
    this.recipe = { mode: "upload", file };
  }

  /** Create a session from the current recipe and make it current; `renewal` when replacing a lost one. */
  async create({ renewal = false } = {}) {
    if (!this.recipe) throw new Error("no design chosen");
    let payload;
    if (this.recipe.mode === "upload") {
      payload = new FormData();
      payload.append("mode", "upload");
      payload.append("mirrored", String(this.mirrored));
      payload.append("nail_reference_image", this.recipe.file, this.recipe.file.name || "reference.jpg");
    } else {
      payload = { mode: "explore", post_id: this.recipe.post_id, mirrored: this.mirrored };
    }
    const { body } = await api.createSession(payload);
    this._adopt({ mirrored: this.mirrored, ...(body.session || { id: body.session_id }) });
    if (renewal) this.recreated += 1;
    this.dispatchEvent(new CustomEvent("session", { detail: { session: this.session, renewal } }));
    return this.session;
  }

  /** Extend the current session; re-create it when the server no longer knows it. */
  async renew() {
    if (!this.session) return this.create();
    try {
      const { body } = await api.extendSession(this.session.id);
      this._adopt(body.session, true);
      return this.session;
    } catch (err) {
      if (err instanceof ApiError && ["expired", "not_found"].includes(err.code)) return this.create({ renewal: true });
      throw err;
    }
  }

  /**
   * The connection's `prepare` hook: make sure a live session exists, then say where to connect.
   * `lastClose` is how the previous socket ended (null on the first attempt).
   */
  async prepare(lastClose) {
    if (!this.session) {
      await this.create();
    } else if (lastClose && lastClose.code === CLOSE_POLICY && ["expired", "not_found"].includes(lastClose.reason)) {
      await (lastClose.reason === "expired" ? this.renew() : this.create({ renewal: true }));
    } else if (lastClose && !lastClose.wasReady) {
      // The handshake failed without a reason (a restarted server, a proxy): ask the API about the session.
      try {
        await api.session(this.session.id);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.code === "not_found") await this.create({ renewal: true });
        else if (err.code === "expired") await this.renew();
        else throw err;
      }
    }
    const protocols = [SUBPROTOCOL];
    if (apiKey()) {
      const { body } = await api.ticket(this.session.id);
      protocols.push(`ticket.${body.ticket}`);
    }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const path = this.session.ws_path || `/ws/tryon/${encodeURIComponent(this.session.id)}/`;
    return { url: `${scheme}//${location.host}${path}`, protocols };
  }

  _adopt(session, merge = false) {
    this.session = merge ? { ...this.session, ...session } : { ...session };
    clearTimeout(this._renewTimer);
    const left = Number(session.expires_in);
    if (Number.isFinite(left) && left > 0) {
      // A minute ahead for normal sessions; halfway for very short ones.
      const inS = left > 2 * RENEW_BEFORE_S ? left - RENEW_BEFORE_S : left / 2;
      this._renewTimer = setTimeout(() => {
        if (this.autoRenew) this.renew().catch(() => { /* the socket's close handling will try again */ });
      }, inS * 1000);
    }
  }
}
