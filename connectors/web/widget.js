/*
 * Chat widget of "Trợ lý Bình dân học vụ số" (the digital-skills assistant).
 *
 * Embed it in any page with one tag:
 *     <script src="https://host/widget.js" defer></script>
 * Optional attributes on that tag:
 *     data-open="true"   start with the chat panel open
 *     data-api="URL"     chat endpoint (default: api/chat next to widget.js)
 *
 * Plain JavaScript, no build step. Everything lives in a Shadow DOM, so the host page's CSS
 * cannot break the widget and the widget's CSS cannot leak into the page. Made for elderly
 * users: large text, big tap targets, a text-size control, a high-contrast theme, reading
 * aloud and voice input, no timeouts, and nothing the user typed is ever lost (messages sent
 * while offline are queued in localStorage and sent when the network comes back).
 */
(() => {
  "use strict";
  if (document.__binhDanWidget) return; // the tag was included twice
  document.__binhDanWidget = true;

  // --- Where we come from: the API sits next to widget.js -------------------------------------
  // document.currentScript is only set while this file first runs, so read it now.
  const script = document.currentScript ||
    Array.from(document.querySelectorAll("script[src]")).find((s) => /widget\.js([?#]|$)/.test(s.src));
  const scriptUrl = new URL(script ? script.src : "widget.js", location.href);
  const API = new URL((script && script.dataset.api) || "api/chat", new URL("./", scriptUrl)).href;
  const MESSAGES = new URL("messages", API).href; // what a volunteer or official writes back
  const START_OPEN = !!script && script.dataset.open === "true";

  const MAX_HISTORY = 50;                       // messages kept across reloads
  const MAX_CHARS = 2000;                       // the gateway's MAX_MESSAGE_CHARS default
  const SIZES = [18, 20, 22, 24, 26, 28, 32];   // text sizes in px for A- / A+
  const DEFAULT_SIZE = 22;

  // --- Storage that never throws (private mode, blocked storage) ------------------------------
  const memory = {};
  const store = {
    get(key, fallback) {
      if (key in memory) return memory[key];
      try {
        const raw = localStorage.getItem("binhdan-widget:" + key);
        return raw === null ? fallback : JSON.parse(raw);
      } catch { return fallback; }
    },
    set(key, value) {
      memory[key] = value;
      try { localStorage.setItem("binhdan-widget:" + key, JSON.stringify(value)); } catch { /* memory only */ }
    },
  };

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  const state = {
    sender: store.get("sender", null),
    history: store.get("history", []),  // [{id, from: "user"|"bot", text, kind?, buttons?, sources?, pending?}]
    queue: store.get("queue", []),      // [{id, message}]: user messages not answered yet, oldest first
    size: store.get("size", DEFAULT_SIZE),
    contrast: store.get("contrast", false),
    busy: false,
    handoff: store.get("handoff", false), // waiting for, or talking with, a human
    humanAfter: store.get("humanAfter", 0), // the id of the last human message shown
  };
  if (typeof state.sender !== "string" || !state.sender.startsWith("web:")) {
    state.sender = "web:" + uuid();
    store.set("sender", state.sender);
  }
  if (!Array.isArray(state.history)) state.history = [];
  if (!Array.isArray(state.queue)) state.queue = [];
  if (!SIZES.includes(state.size)) state.size = DEFAULT_SIZE;

  // --- Styles (scoped by the Shadow DOM; only px units, so the page's rem cannot change them) ---
  const STYLES = `
  :host { all: initial; }
  * { box-sizing: border-box; }
  [hidden] { display: none !important; }
  .root {
    --bg: #ffffff; --fg: #1a1a1a; --muted: #3d3d3d; --border: #595959; --accent: #0a4fb5; --on-accent: #ffffff;
    --bot-bg: #eef1f5; --bot-border: #eef1f5; --user-bg: #0a4fb5; --user-fg: #ffffff; --link: #0a4fb5;
    --notice-bg: #fff4d6; --notice-fg: #3d2b00; --notice-border: #8a5a00; --ring: #111111;
    font: normal 400 var(--fs, 22px)/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif;
    color: var(--fg); text-align: left; letter-spacing: normal; word-spacing: normal;
  }
  .root.contrast {
    --bg: #000000; --fg: #ffffff; --muted: #ffffff; --border: #ffffff; --accent: #ffeb3b; --on-accent: #000000;
    --bot-bg: #000000; --bot-border: #ffffff; --user-bg: #ffeb3b; --user-fg: #000000; --link: #ffeb3b;
    --notice-bg: #000000; --notice-fg: #ffffff; --notice-border: #ffeb3b; --ring: #ffeb3b;
  }
  button, textarea { font: inherit; color: inherit; margin: 0; }
  button { cursor: pointer; min-width: 48px; min-height: 48px; border-radius: 10px; }
  :focus-visible { outline: 3px solid var(--ring); outline-offset: 2px; box-shadow: 0 0 0 7px var(--bg); }
  .sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
    clip: rect(0 0 0 0); white-space: nowrap; border: 0; }

  .launcher { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; display: inline-flex;
    align-items: center; gap: .4em; padding: .4em 1em; min-height: 56px; border: 3px solid var(--bg);
    border-radius: 999px; background: var(--accent); color: var(--on-accent); font-weight: 700;
    box-shadow: 0 4px 16px rgba(0,0,0,.35); }

  .panel { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; display: flex; flex-direction: column;
    width: min(26em, calc(100vw - 32px)); height: min(44em, calc(100vh - 32px)); background: var(--bg);
    color: var(--fg); border: 2px solid var(--border); border-radius: 14px; box-shadow: 0 8px 32px rgba(0,0,0,.35);
    overflow: hidden; }
  @media (max-width: 600px), (max-height: 500px) {
    .panel { inset: 0; width: 100%; height: 100%; border: 0; border-radius: 0; }
  }

  .head { display: flex; flex-wrap: wrap; align-items: center; gap: .3em; padding: .4em .5em;
    border-bottom: 2px solid var(--border); }
  .title { flex: 1 1 12em; margin: 0; font-size: 1em; font-weight: 700; line-height: 1.3; }
  .tools { display: flex; flex-wrap: wrap; gap: .3em; }
  .tool { padding: 0 .45em; background: var(--bg); color: var(--fg); border: 2px solid var(--border);
    font-size: .85em; font-weight: 700; }
  .tool[aria-pressed="true"] { background: var(--accent); color: var(--on-accent); border-color: var(--accent); }
  .tool[aria-disabled="true"] { opacity: .55; cursor: not-allowed; }

  .log { flex: 1 1 auto; position: relative; overflow-y: auto; padding: .5em .6em; overscroll-behavior: contain; }
  .list { margin: 0; padding: 0; list-style: none; }
  .msg { margin: .5em 0; padding: .5em .75em; border-radius: 12px; max-width: 94%; overflow-wrap: anywhere; }
  .msg.bot { background: var(--bot-bg); border: 2px solid var(--bot-border); margin-right: auto; }
  .msg.user { background: var(--user-bg); color: var(--user-fg); margin-left: auto; width: fit-content; }
  .text { white-space: pre-line; }
  .text:empty { display: none; }
  .text a, .sources a { color: var(--link); text-decoration: underline; text-underline-offset: 3px; }
  .text a[href^="tel:"] { white-space: nowrap; }
  .sources { margin: .3em 0 0; }
  .sources a { display: inline-flex; align-items: center; min-height: 44px; }
  .pending { display: block; font-size: .8em; font-style: italic; }
  .typing { font-style: italic; color: var(--muted); }

  .choices { display: flex; flex-direction: column; gap: .4em; margin-top: .5em; }
  .choices.row { flex-direction: row; flex-wrap: wrap; }
  .choices.row .choice { flex: 1 1 6em; text-align: center; }
  .choice { padding: .35em .8em; text-align: left; font-weight: 700; background: var(--bg); color: var(--accent);
    border: 2px solid var(--accent); }
  .root.contrast .choice { color: var(--fg); border-color: var(--accent); }

  .speak { display: none; margin-top: .4em; padding: 0 .6em; background: var(--bg); color: var(--fg);
    border: 2px solid var(--border); font-size: .85em; }
  .root.tts .speak { display: inline-flex; align-items: center; gap: .3em; }
  .speak[aria-pressed="true"] { background: var(--accent); color: var(--on-accent); }

  .notice { margin: 0 .6em .4em; padding: .4em .6em; background: var(--notice-bg); color: var(--notice-fg);
    border: 2px solid var(--notice-border); border-radius: 10px; }
  .notice:empty { display: none; }
  .notice button { display: block; margin-top: .3em; padding: 0 .8em; background: var(--bg); color: var(--fg);
    border: 2px solid var(--border); font-weight: 700; }

  .compose { display: flex; align-items: flex-end; gap: .4em; padding: .5em; border-top: 2px solid var(--border); }
  .input { flex: 1 1 auto; min-width: 0; min-height: 48px; max-height: 6em; padding: .3em .5em; resize: none;
    background: var(--bg); color: var(--fg); border: 2px solid var(--border); border-radius: 10px; line-height: 1.4; }
  .input::placeholder { color: var(--muted); opacity: 1; }
  .mic { padding: 0; background: var(--bg); color: var(--fg); border: 2px solid var(--border); }
  .mic svg, .icon svg { width: 1.2em; height: 1.2em; vertical-align: middle; }
  .icon { display: inline-flex; }
  .mic[aria-pressed="true"] { background: #b3261e; color: #ffffff; border-color: #b3261e; }
  .send { padding: 0 .9em; background: var(--accent); color: var(--on-accent); border: 2px solid var(--accent);
    font-weight: 700; }
  `;

  // --- Small DOM helper: h("button", {class: "x", text: "Gửi", onclick}, child...) ------------
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : value);
    }
    el.append(...children.filter(Boolean));
    return el;
  }

  // Turns URLs, web addresses, e-mail addresses and hotlines in plain text into links.
  const LINKABLE = new RegExp([
    String.raw`[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+`,                          // e-mail
    String.raw`https?:\/\/[^\s<>"]+`,                                           // full URL
    String.raw`www\.[^\s<>"]+`,                                                 // www.example.vn
    String.raw`\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:gov\.vn|com\.vn|org\.vn|edu\.vn|vn|com|org|net)\b(?:\/[^\s<>"]*)?`,
    String.raw`\b1[89]00[ .]?\d{4}\b`,                                          // 1900 / 1800 hotlines
  ].join("|"), "gi");

  function linkify(container, text) {
    let last = 0;
    for (const match of text.matchAll(LINKABLE)) {
      let raw = match[0];
      const trail = raw.match(/[.,;:!?)\]'"]+$/); // sentence punctuation is not part of the link
      if (trail && !/^1[89]00/.test(raw)) raw = raw.slice(0, -trail[0].length);
      if (!raw) continue;
      let href;
      if (/^1[89]00/.test(raw)) href = "tel:" + raw.replace(/\D/g, "");
      else if (raw.includes("@") && !/^https?:/i.test(raw)) href = "mailto:" + raw;
      else href = /^https?:/i.test(raw) ? raw : "https://" + raw;
      if (match.index > last) container.append(text.slice(last, match.index));
      container.append(externalLink(href, raw));
      last = match.index + raw.length;
    }
    if (last < text.length) container.append(text.slice(last));
  }

  function externalLink(href, label) {
    const web = /^https?:/i.test(href);
    return h("a", { href, target: web ? "_blank" : null, rel: web ? "noopener noreferrer" : null },
      label, web ? h("span", { class: "sr-only", text: " (mở trong thẻ mới)" }) : null);
  }

  // Inline SVG icons (emoji fonts are missing on some devices); static markup only.
  const CHAT_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" ' +
    'd="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2Zm3 6v2h2V9H7Zm4 0v2h2V9h-2Zm4 0v2h2V9h-2Z"/></svg>';
  const SPEAKER_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" ' +
    'd="M3 9v6h4l5 5V4L7 9H3Zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4ZM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6Z"/></svg>';
  function icon(svg) {
    const span = h("span", { class: "icon", "aria-hidden": "true" });
    span.innerHTML = svg;
    return span;
  }

  const MIC_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" ' +
    'd="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3Zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11h-2Z"/></svg>';

  // --- Building the widget ------------------------------------------------------------------
  let ui; // the elements we touch later

  function build() {
    const host = document.createElement("binhdan-chat");
    host.setAttribute("lang", "vi");
    host.style.cssText = "all: initial !important; display: block !important;";
    const shadow = host.attachShadow({ mode: "open" });
    shadow.append(h("style", { text: STYLES }));

    const launcher = h("button", { type: "button", class: "launcher", "aria-haspopup": "dialog",
      "aria-label": "Hỏi trợ lý: mở cửa sổ trò chuyện", "aria-controls": "bd-panel", "aria-expanded": "false" },
    icon(CHAT_ICON), h("span", { text: "Hỏi trợ lý" }));

    const smaller = h("button", { type: "button", class: "tool", "aria-label": "Giảm cỡ chữ A−", text: "A−" });
    const bigger = h("button", { type: "button", class: "tool", "aria-label": "Tăng cỡ chữ A+", text: "A+" });
    const contrast = h("button", { type: "button", class: "tool", "aria-label": "Chế độ tương phản cao",
      "aria-pressed": "false" }, h("span", { "aria-hidden": "true", text: "◐ " }), "Tương phản");
    const closer = h("button", { type: "button", class: "tool", "aria-label": "Đóng cửa sổ trò chuyện",
      text: "Đóng" });

    // The scrollable conversation: a focusable region (so it scrolls by keyboard) around a list.
    const list = h("ol", { class: "list" });
    const log = h("div", { class: "log", tabindex: "0", role: "region", "aria-label": "Cuộc trò chuyện" }, list);
    const notice = h("div", { class: "notice", role: "status" });
    const live = h("div", { class: "sr-only", "aria-live": "polite", "aria-atomic": "true" });

    const input = h("textarea", { class: "input", rows: "2", maxlength: String(MAX_CHARS),
      "aria-label": "Nhập câu hỏi", placeholder: "Gõ câu hỏi ở đây…", autocomplete: "off" });
    const mic = h("button", { type: "button", class: "mic", "aria-label": "Nói câu hỏi bằng giọng nói",
      "aria-pressed": "false" });
    mic.innerHTML = MIC_ICON; // static markup, no user data
    const send = h("button", { type: "submit", class: "send", "aria-label": "Gửi câu hỏi", text: "Gửi" });
    const form = h("form", { class: "compose", "aria-label": "Gửi câu hỏi" }, input, mic, send);

    const panel = h("div", { id: "bd-panel", class: "panel", role: "dialog", "aria-modal": "false",
      "aria-labelledby": "bd-title", hidden: true },
    h("div", { class: "head" },
      h("h2", { id: "bd-title", class: "title", text: "Trợ lý Bình dân học vụ số" }),
      h("div", { class: "tools", role: "group", "aria-label": "Tùy chỉnh hiển thị" }, smaller, bigger, contrast, closer)),
    log, notice, form, live);

    const root = h("div", { class: "root", lang: "vi" }, launcher, panel);
    shadow.append(root);
    document.body.append(host);
    ui = { host, root, launcher, panel, log, list, notice, live, input, mic, send, form, smaller, bigger, contrast, closer };

    launcher.addEventListener("click", () => openPanel(true));
    closer.addEventListener("click", closePanel);
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); closePanel(); }
    });
    smaller.addEventListener("click", () => resize(-1));
    bigger.addEventListener("click", () => resize(+1));
    contrast.addEventListener("click", () => setContrast(!state.contrast, true));
    form.addEventListener("submit", (e) => { e.preventDefault(); submitInput(); });
    input.addEventListener("keydown", (e) => {
      // Enter sends, Shift+Enter makes a new line; never while an IME (Telex, VNI) is composing.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        submitInput();
      }
    });
    input.addEventListener("input", () => store.set("draft", input.value));
    input.value = store.get("draft", "");
    setupVoiceInput();
    setupReadAloud();
  }

  // --- Display settings ----------------------------------------------------------------------
  function applySize() {
    ui.root.style.setProperty("--fs", state.size + "px");
    const i = SIZES.indexOf(state.size);
    ui.smaller.setAttribute("aria-disabled", String(i === 0));
    ui.bigger.setAttribute("aria-disabled", String(i === SIZES.length - 1));
  }

  function resize(step) {
    const i = SIZES.indexOf(state.size) + step;
    if (i < 0 || i >= SIZES.length) return;
    state.size = SIZES[i];
    store.set("size", state.size);
    applySize();
    announce(`Cỡ chữ ${state.size}`);
  }

  function setContrast(on, announceIt) {
    state.contrast = on;
    store.set("contrast", on);
    ui.root.classList.toggle("contrast", on);
    ui.contrast.setAttribute("aria-pressed", String(on));
    if (announceIt) announce(on ? "Đã bật tương phản cao" : "Đã tắt tương phản cao");
  }

  // --- Open / close --------------------------------------------------------------------------
  function openPanel(moveFocus) {
    ui.panel.hidden = false;
    ui.launcher.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "true");
    store.set("open", true);
    scrollToEnd();
    if (moveFocus) ui.input.focus();
  }

  function closePanel() {
    stopVoice();
    if (window.speechSynthesis) speechSynthesis.cancel();
    ui.panel.hidden = true;
    ui.launcher.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "false");
    store.set("open", false);
    ui.launcher.focus();
  }

  // --- Messages ------------------------------------------------------------------------------
  const WELCOME = {
    id: "welcome", from: "bot",
    text: "Xin chào! Tôi là trợ lý Bình dân học vụ số. Tôi giúp bạn dùng VNeID, dịch vụ công trực tuyến, " +
      "chuyển tiền an toàn và nhận biết lừa đảo.\nBạn gõ câu hỏi vào ô bên dưới rồi bấm “Gửi”, " +
      "có dấu hay không dấu đều được. Hoặc bấm một câu hỏi mẫu:",
    buttons: [
      { title: "Quên mật khẩu VNeID", payload: "Tôi quên mật khẩu VNeID thì làm thế nào?" },
      { title: "Nhận biết cuộc gọi lừa đảo", payload: "Làm sao nhận biết cuộc gọi lừa đảo?" },
      { title: "Tìm khóa học kỹ năng số", payload: "Tôi muốn tìm khóa học kỹ năng số" },
      { title: "Gặp người hỗ trợ", payload: "Cho tôi nói chuyện với người thật" },
    ],
  };

  function renderEntry(entry) {
    const isBot = entry.from === "bot";
    const li = h("li", { class: `msg ${isBot ? "bot" : "user"}`, "data-id": entry.id },
      h("span", { class: "sr-only", text: isBot ? "Trợ lý: " : "Bạn: " }));
    const text = h("div", { class: "text" });
    if (isBot) linkify(text, entry.text || ""); else text.textContent = entry.text;
    li.append(text);

    const sources = (entry.sources || []).filter((s) => s && s.title);
    if (sources.length) {
      const p = h("p", { class: "sources" });
      sources.forEach((s, i) => {
        if (i) p.append(h("br"));
        if (s.url && /^https?:/i.test(s.url)) p.append(externalLink(s.url, "Nguồn: " + s.title));
        else p.append("Nguồn: " + s.title);
      });
      li.append(p);
    }

    const buttons = (entry.buttons || []).filter((b) => b && b.title);
    if (buttons.length) {
      const group = h("div", { class: "choices" + (entry.kind === "guide_step" ? " row" : ""), role: "group",
        "aria-label": "Các lựa chọn" });
      for (const b of buttons) {
        group.append(h("button", { type: "button", class: "choice", "aria-label": "Chọn: " + b.title,
          "data-payload": b.payload || b.title, text: b.title,
          onclick: () => sendMessage(b.payload || b.title, b.title) }));
      }
      li.append(group);
    }

    if (isBot) {
      li.append(h("button", { type: "button", class: "speak", "aria-label": "Đọc to tin nhắn này",
        "aria-pressed": "false", onclick: (e) => readAloud(entry, e.currentTarget) },
      icon(SPEAKER_ICON), "Đọc to"));
    }
    if (entry.pending) li.append(h("span", { class: "pending", text: "Đang chờ gửi…" }));
    return li;
  }

  function addEntry(entry) {
    state.history.push(entry);
    state.history = state.history.slice(-MAX_HISTORY);
    store.set("history", state.history);
    const li = renderEntry(entry);
    ui.list.insertBefore(li, ui.list.querySelector(".typing"));
    const shown = ui.list.querySelectorAll("li.msg:not([data-id=welcome]):not(.typing)");
    for (let i = 0; i < shown.length - MAX_HISTORY; i++) shown[i].remove();
    return li;
  }

  function updateEntry(id, change) {
    const entry = state.history.find((e) => e.id === id);
    if (!entry) return;
    Object.assign(entry, change);
    store.set("history", state.history);
    const old = ui.list.querySelector(`li[data-id="${CSS.escape(id)}"]`);
    if (old) old.replaceWith(renderEntry(entry));
  }

  function renderAll() {
    ui.list.replaceChildren(renderEntry(WELCOME), ...state.history.map(renderEntry));
  }

  function scrollToEnd() { ui.log.scrollTop = ui.log.scrollHeight; }

  // Show the start of a long answer rather than its end: people read from the top.
  function scrollToEntry(li) { ui.log.scrollTop = Math.max(0, li.offsetTop - 8); }

  function announce(text) {
    ui.live.textContent = "";
    setTimeout(() => { ui.live.textContent = text; }, 50); // a change, even when the text repeats
  }

  function setTyping(on) {
    const old = ui.list.querySelector(".typing");
    if (on && !old) {
      ui.list.append(h("li", { class: "msg bot typing", "aria-hidden": "true", text: "Trợ lý đang trả lời…" }));
      scrollToEnd();
    } else if (!on && old) old.remove();
  }

  function showNotice(text, withRetry) {
    ui.notice.replaceChildren(text);
    if (withRetry) {
      ui.notice.append(h("button", { type: "button", "aria-label": "Gửi lại ngay", text: "Gửi lại ngay",
        onclick: () => flush() }));
    }
  }

  function clearNotice() { ui.notice.replaceChildren(); }

  const OFFLINE = "Mất kết nối mạng. Tin nhắn của bạn vẫn được giữ lại và sẽ tự gửi khi có mạng trở lại.";
  const BUSY = "Trợ lý đang bận hoặc đang khởi động lại. Tin nhắn của bạn vẫn được giữ lại; " +
    "bạn bấm “Gửi lại ngay” sau ít phút nhé.";

  // --- Sending: every user message goes through a persisted queue, in order -------------------
  function submitInput() {
    const text = ui.input.value.trim();
    if (!text) { ui.input.focus(); return; }
    ui.input.value = "";
    store.set("draft", "");
    sendMessage(text, text);
    ui.input.focus();
  }

  function sendMessage(message, shown) {
    const id = uuid();
    const li = addEntry({ id, from: "user", text: shown || message, pending: true });
    scrollToEntry(li);
    state.queue.push({ id, message });
    store.set("queue", state.queue);
    flush();
  }

  async function flush() {
    if (state.busy) return;
    state.busy = true;
    try {
      while (state.queue.length) {
        if (navigator.onLine === false) { showNotice(OFFLINE, true); return; }
        const item = state.queue[0];
        let response, data;
        setTyping(true);
        try {
          response = await fetch(API, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ sender: state.sender, message: item.message }),
          });
          data = await response.json().catch(() => ({}));
        } catch {
          showNotice(OFFLINE, true); // the network failed: keep the message for later
          return;
        } finally {
          setTyping(false);
        }
        if (response.status >= 500 || response.status === 408 || response.status === 429) {
          showNotice(BUSY, true); // the assistant is unavailable: keep the message, the user retries
          return;
        }
        state.queue.shift();
        store.set("queue", state.queue);
        updateEntry(item.id, { pending: false });
        clearNotice();
        if (response.ok) showReply(data);
        else refused(item, response.status);
      }
    } finally {
      state.busy = false;
    }
  }

  // The gateway refused this message (too long, invalid): say so and give the text back to edit.
  function refused(item, status) {
    const text = status === 413
      ? `Câu hỏi dài quá. Bạn viết ngắn lại (dưới ${MAX_CHARS} chữ) rồi gửi lại nhé.`
      : "Xin lỗi, trợ lý chưa nhận được câu hỏi này. Bạn sửa lại rồi gửi lại nhé.";
    const li = addEntry({ id: uuid(), from: "bot", text });
    if (!ui.input.value.trim()) { ui.input.value = item.message; store.set("draft", item.message); }
    scrollToEntry(li);
    announce(text);
  }

  function showReply(data) {
    if (data.kind === "handoff") watchHandoff(true);
    const messages = Array.isArray(data.messages) ? data.messages : [];
    const sources = Array.isArray(data.sources) ? data.sources : [];
    // The sources go under the "(Nguồn: ...)" line, which the clickable links replace, or else
    // under the last message (above its buttons).
    const SOURCE_LINE = /^\s*\(?\s*Nguồn\s*:[^\n]*\)?\s*$/i;
    let at = messages.findIndex((m) => m && SOURCE_LINE.test(String(m.text || "")));
    if (at < 0) at = messages.length - 1;
    const entries = messages.map((m, i) => {
      const withSources = i === at && sources.length > 0;
      let text = String((m && m.text) || "");
      if (withSources && SOURCE_LINE.test(text)) text = "";
      return { id: uuid(), from: "bot", kind: data.kind, text,
        buttons: Array.isArray(m && m.buttons) ? m.buttons : undefined, sources: withSources ? sources : undefined };
    });
    if (!entries.length && data.kind === "handoff") return; // a human answers; their reply comes by polling
    if (!entries.length) {
      entries.push({ id: uuid(), from: "bot", text: "Xin lỗi, trợ lý chưa trả lời được. Bạn hỏi lại cách khác nhé." });
    }
    const first = entries.map(addEntry)[0];
    const question = first.previousElementSibling; // show the question with the start of its answer
    scrollToEntry(question && question.classList.contains("user") ? question : first);
    announce("Trợ lý trả lời: " + entries.map(spokenText).join("\n"));
  }

  // --- Messages from a volunteer or official while the conversation is handed over ------------
  let polling = null;
  function watchHandoff(on) {
    state.handoff = on;
    store.set("handoff", on);
    if (on && !polling) polling = setInterval(pollHuman, 5000);
    if (!on && polling) { clearInterval(polling); polling = null; }
  }

  async function pollHuman() {
    let data;
    try {
      const response = await fetch(`${MESSAGES}?sender=${encodeURIComponent(state.sender)}&after=${state.humanAfter}`);
      if (!response.ok) return;
      data = await response.json();
    } catch { return; } // offline: try again at the next tick
    for (const m of data.messages || []) {
      state.humanAfter = Math.max(state.humanAfter, m.id);
      const text = "Cán bộ hỗ trợ: " + m.text;
      scrollToEntry(addEntry({ id: uuid(), from: "bot", kind: "human", text }));
      announce(text);
    }
    store.set("humanAfter", state.humanAfter);
    if (!data.handoff || data.handoff === "closed") watchHandoff(false);
  }

  function spokenText(entry) {
    const parts = [entry.text];
    for (const s of entry.sources || []) if (s && s.title) parts.push("Nguồn: " + s.title);
    for (const b of entry.buttons || []) if (b && b.title) parts.push("Lựa chọn: " + b.title);
    return parts.filter(Boolean).join("\n");
  }

  // --- Voice input (Web Speech API) ---------------------------------------------------------
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  let recognition = null;

  function setupVoiceInput() {
    if (!Recognition) { ui.mic.hidden = true; return; }
    ui.mic.addEventListener("click", () => (recognition ? stopVoice() : startVoice()));
  }

  function startVoice() {
    const before = ui.input.value.trim() ? ui.input.value.trim() + " " : "";
    recognition = new Recognition();
    recognition.lang = "vi-VN";
    recognition.interimResults = true;
    recognition.maxAlternatives = 1;
    recognition.onresult = (e) => {
      let heard = "";
      for (const result of Array.from(e.results)) heard += result[0].transcript;
      ui.input.value = before + heard;
      store.set("draft", ui.input.value);
    };
    recognition.onerror = (e) => {
      if (e.error === "aborted") return; // stopped by the user
      showNotice(e.error === "not-allowed" || e.error === "service-not-allowed"
        ? "Trình duyệt chưa cho phép dùng micro. Bạn gõ chữ vào ô bên dưới nhé."
        : "Chưa nghe rõ. Bạn bấm nút micro rồi nói lại, hoặc gõ chữ nhé.", false);
    };
    recognition.onend = () => {
      recognition = null;
      setMic(false);
      ui.input.focus();
    };
    try {
      recognition.start();
      setMic(true);
    } catch {
      recognition = null;
    }
  }

  function stopVoice() { if (recognition) recognition.stop(); }

  function setMic(listening) {
    ui.mic.setAttribute("aria-pressed", String(listening));
    ui.mic.setAttribute("aria-label", listening ? "Dừng nghe giọng nói" : "Nói câu hỏi bằng giọng nói");
    if (listening) announce("Đang nghe, bạn nói đi ạ");
  }

  // --- Reading aloud (speechSynthesis with a Vietnamese voice) ------------------------------
  let viVoice = null;

  function setupReadAloud() {
    if (!window.speechSynthesis || !window.SpeechSynthesisUtterance) return;
    const pick = () => {
      viVoice = speechSynthesis.getVoices().find((v) => /^vi([-_]|$)/i.test(v.lang)) || null;
      ui.root.classList.toggle("tts", !!viVoice); // "Đọc to" buttons show only with a vi voice
    };
    pick();
    speechSynthesis.addEventListener("voiceschanged", pick);
  }

  function readAloud(entry, button) {
    const wasSpeaking = button.getAttribute("aria-pressed") === "true";
    speechSynthesis.cancel();
    ui.list.querySelectorAll('.speak[aria-pressed="true"]').forEach((b) => b.setAttribute("aria-pressed", "false"));
    if (wasSpeaking || !viVoice) return; // a second press stops reading
    const utterance = new SpeechSynthesisUtterance(spokenText(entry));
    utterance.lang = "vi-VN";
    utterance.voice = viVoice;
    utterance.rate = 0.9;
    utterance.onend = utterance.onerror = () => button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-pressed", "true");
    speechSynthesis.speak(utterance);
  }

  // --- Start ---------------------------------------------------------------------------------
  function start() {
    build();
    applySize();
    setContrast(!!state.contrast, false);
    // A message marked pending but no longer queued (an old tab sent it) is not pending any more.
    const queued = new Set(state.queue.map((q) => q.id));
    for (const e of state.history) if (e.pending && !queued.has(e.id)) e.pending = false;
    renderAll();
    if (START_OPEN || store.get("open", false)) openPanel(false);
    window.addEventListener("online", () => { clearNotice(); flush(); });
    window.addEventListener("offline", () => showNotice(OFFLINE, state.queue.length > 0));
    if (state.queue.length) flush(); // messages left from an earlier visit
    if (state.handoff) watchHandoff(true);
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
