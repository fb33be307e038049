// Browser tests of the web chat widget against a running gateway (BASE_URL), with Debian's
// chromium driven by playwright-core and an accessibility audit by axe-core.
//
//   cd tests/browser && npm ci && BASE_URL=http://127.0.0.1:8000 node --test widget.test.mjs
//
// UPDATE_SCREENSHOT=1 also writes the phone-size screenshot to docs/widget-phone.png.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.BASE_URL || "http://127.0.0.1:8000").replace(/\/+$/, "");
const CHAT = BASE + "/api/chat";
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const TITLE = "Trợ lý Bình dân học vụ số";

let browser;
before(async () => {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
});
after(async () => { await browser?.close(); });

// A fresh browser profile (so a fresh conversation) with the page loaded; page errors fail the test.
async function open(t, { url = BASE + "/", viewport = { width: 1280, height: 900 }, init, routes } = {}) {
  const context = await browser.newContext({ viewport, locale: "vi-VN" });
  context.setDefaultTimeout(30_000);
  const errors = [];
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  if (init) await page.addInitScript(init);
  if (routes) await routes(context, page);
  await page.goto(url);
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], "no JavaScript errors on the page");
  });
  return { context, page, w: widget(page) };
}

function widget(page) {
  return {
    launcher: page.getByRole("button", { name: /Hỏi trợ lý/ }),
    dialog: page.getByRole("dialog", { name: TITLE }),
    input: page.getByRole("textbox", { name: "Nhập câu hỏi" }),
    bot: page.locator("li.msg.bot:not(.typing)"),
    user: page.locator("li.msg.user"),
    live: page.locator('[aria-live="polite"]'),
    notice: page.locator(".notice"),
  };
}

// Types a question, presses Enter and waits until a new bot message is shown.
async function ask(page, text) {
  const w = widget(page);
  const before = await w.bot.count();
  await w.input.fill(text);
  await w.input.press("Enter");
  await waitForBotMessages(page, before);
}

async function waitForBotMessages(page, moreThan) {
  await page.waitForFunction((n) => document.querySelector("binhdan-chat").shadowRoot
    .querySelectorAll("li.msg.bot:not(.typing)").length > n, moreThan);
}

// What has the keyboard focus, looking inside the widget's shadow root.
function focused(page) {
  return page.evaluate(() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    if (!el) return null;
    return el.getAttribute("aria-label") || el.textContent.trim() || el.tagName;
  });
}

test("answers a question and cites its source as a link", async (t) => {
  const { page, w } = await open(t);
  await assert.doesNotReject(w.dialog.waitFor(), "data-open=\"true\" opens the panel");
  assert.equal(await page.locator("binhdan-chat").getAttribute("lang"), "vi");
  const request = page.waitForRequest((r) => r.url() === CHAT && r.method() === "POST");
  await ask(page, "quên mật khẩu vneid");
  const body = (await request).postDataJSON();
  assert.match(body.sender, /^web:[0-9a-f-]{36}$/);
  assert.equal(body.message, "quên mật khẩu vneid");
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem("binhdan-widget:sender"))), body.sender);

  await w.user.filter({ hasText: "quên mật khẩu vneid" }).waitFor();
  const source = page.getByRole("link", { name: /^Nguồn: / }).first();
  await source.waitFor();
  assert.match(await source.getAttribute("href"), /^https?:\/\//);
  assert.match(await w.bot.allInnerTexts().then((x) => x.join("\n")), /Quên mật khẩu/);
  await page.waitForFunction(() => /Trợ lý trả lời: /.test(document.querySelector("binhdan-chat").shadowRoot
    .querySelector('[aria-live="polite"]').textContent));
});

test("renders line breaks, clickable links, sources and guide-step buttons", async (t) => {
  const canned = {
    messages: [
      { text: "Dòng một\nDòng hai: xem https://dichvucong.gov.vn/p/home.html. Gọi 1900 0368." },
      { text: "(Nguồn: Bài thử)" },
      { text: "Bước 1/3: Mở ứng dụng.", buttons: [{ title: "Xong rồi", payload: "/guide_done" },
        { title: "Dừng", payload: "/guide_stop" }] },
    ],
    kind: "guide_step", intent: "start_guide", confidence: 1, fallback: false,
    sources: [{ id: "x", title: "Bài thử", url: "https://example.org/bai-thu" }],
  };
  const posted = [];
  const { page, w } = await open(t, {
    routes: (context) => context.route(CHAT, (route) => {
      posted.push(route.request().postDataJSON().message);
      return route.fulfill({ json: canned });
    }),
  });
  await ask(page, "thử");
  const [first, sourceLine] = [w.bot.nth(-3).locator(".text"), w.bot.nth(-2).locator(".text")];
  assert.match(await first.textContent(), /^Dòng một\nDòng hai: xem https:\/\/dichvucong\.gov\.vn\/p\/home\.html/);
  assert.equal(await first.evaluate((el) => getComputedStyle(el).whiteSpace), "pre-line", "line breaks are shown");
  assert.ok((await first.boundingBox()).height > 60, "two lines");
  assert.equal(await page.getByRole("link", { name: /dichvucong\.gov\.vn/ }).getAttribute("href"),
    "https://dichvucong.gov.vn/p/home.html");
  assert.equal(await page.getByRole("link", { name: /1900 0368/ }).getAttribute("href"), "tel:19000368");
  assert.equal(await page.getByRole("link", { name: /Nguồn: Bài thử/ }).getAttribute("href"), "https://example.org/bai-thu");
  assert.equal(await sourceLine.isVisible(), false, "the plain '(Nguồn: ...)' line gives way to the link");

  const buttons = w.bot.last().locator(".choice");
  const [a, b] = [await buttons.nth(0).boundingBox(), await buttons.nth(1).boundingBox()];
  assert.equal(Math.round(a.y), Math.round(b.y), "guide_step buttons sit side by side");
  assert.ok(a.width >= 44 && a.height >= 44, "large tap targets");
  const before = await w.bot.count();
  await page.getByRole("button", { name: "Chọn: Xong rồi" }).last().click();
  await waitForBotMessages(page, before);
  assert.deepEqual(posted, ["thử", "/guide_done"], "a button sends its payload");
  assert.equal((await w.user.last().locator(".text").innerText()).trim(), "Xong rồi", "and shows its title");
});

test("a button of a real reply sends its payload and shows its title", async (t) => {
  // Use a real reply with buttons; when the bot gives none, add two to the first reply.
  let first = true;
  const { page, w } = await open(t, {
    routes: (context) => context.route(CHAT, async (route) => {
      const response = await route.fetch();
      const reply = await response.json();
      if (first && !reply.messages.some((m) => m.buttons && m.buttons.length)) {
        reply.messages[reply.messages.length - 1].buttons = [
          { title: "Đăng ký định danh mức 2", payload: "đăng ký tài khoản định danh mức 2" },
          { title: "Gặp người hỗ trợ", payload: "cho tôi nói chuyện với người thật" }];
      }
      first = false;
      await route.fulfill({ response, json: reply });
    }),
  });
  await ask(page, "quên mật khẩu vneid");
  const button = w.bot.filter({ has: page.locator(".choice") }).last().locator(".choice").first();
  const title = (await button.innerText()).trim();
  const payload = await button.getAttribute("data-payload");
  const box = await button.boundingBox();
  assert.ok(box.width >= 44 && box.height >= 44, "a large tap target");

  const before = await w.bot.count();
  const request = page.waitForRequest((r) => r.url() === CHAT && r.method() === "POST");
  await button.click();
  assert.equal((await request).postDataJSON().message, payload);
  assert.equal((await w.user.last().locator(".text").innerText()).trim(), title);
  await waitForBotMessages(page, before);
  const row = page.locator(".choices.row").last(); // a step-by-step guide: its buttons side by side
  if (await row.count()) {
    const boxes = await row.locator(".choice").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().y));
    assert.equal(Math.round(boxes[0]), Math.round(boxes[1]));
  }
});

test("the conversation is kept across a reload", async (t) => {
  const { page, w } = await open(t);
  await ask(page, "xin chào");
  const sender = await page.evaluate(() => localStorage.getItem("binhdan-widget:sender"));
  const said = await w.bot.last().innerText();
  await page.reload();
  await w.dialog.waitFor();
  await w.user.filter({ hasText: "xin chào" }).waitFor();
  assert.equal(await w.bot.last().innerText(), said);
  assert.equal(await page.evaluate(() => localStorage.getItem("binhdan-widget:sender")), sender);
  const history = await page.evaluate(() => JSON.parse(localStorage.getItem("binhdan-widget:history")));
  assert.ok(history.length >= 2 && history.length <= 50);
});

// A host page with hostile CSS and no data-open: the widget must look and work the same.
const HOST_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host page</title>
<style>* { font-size: 9px !important; color: #f0f !important; margin: 0 !important; }
button { display: none !important; } html { font-size: 6px; } div, ol, li { display: inline !important; }</style>
</head><body><a href="#top">A link on the host page</a><p>Some host content.</p>
<script src="/widget.js" defer></script></body></html>`;

test("keyboard only: open, type, send, close; focus moves in and back", async (t) => {
  const { page, w } = await open(t, {
    url: BASE + "/__widget-host.html",
    routes: (context) => context.route(BASE + "/__widget-host.html",
      (route) => route.fulfill({ contentType: "text/html; charset=utf-8", body: HOST_PAGE })),
  });
  assert.equal(await w.dialog.isVisible(), false, "closed without data-open");
  for (let i = 0; i < 5 && !/Hỏi trợ lý/.test(await focused(page) || ""); i++) await page.keyboard.press("Tab");
  assert.match(await focused(page), /Hỏi trợ lý/, "Tab reaches the launcher");
  const ring = await page.evaluate(() => {
    const b = document.querySelector("binhdan-chat").shadowRoot.querySelector(".launcher");
    const s = getComputedStyle(b);
    return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), fontSize: parseFloat(s.fontSize) };
  });
  assert.notEqual(ring.style, "none", "visible focus outline");
  assert.ok(ring.width >= 2);
  assert.ok(ring.fontSize >= 20, "host CSS does not shrink the widget");

  await page.keyboard.press("Enter");
  await w.dialog.waitFor();
  assert.equal(await focused(page), "Nhập câu hỏi", "focus moves into the panel, to the input");
  await page.keyboard.press("Shift+Tab");
  assert.notEqual(await focused(page), "Nhập câu hỏi");
  await page.keyboard.press("Tab");
  assert.equal(await focused(page), "Nhập câu hỏi", "Tab order leads to the input");

  const before = await w.bot.count();
  await page.keyboard.type("xin chào");
  await page.keyboard.press("Enter");
  await waitForBotMessages(page, before);
  assert.equal(await w.input.inputValue(), "", "sent with Enter");
  assert.equal(await focused(page), "Nhập câu hỏi", "focus stays in the input after sending");

  await page.keyboard.press("Tab");
  const next = [await focused(page)];
  await page.keyboard.press("Tab");
  next.push(await focused(page));
  assert.ok(next.includes("Gửi câu hỏi"), `Tab after the input reaches the send button (got ${next})`);

  await page.keyboard.press("Escape");
  await w.dialog.waitFor({ state: "hidden" });
  assert.match(await focused(page), /Hỏi trợ lý/, "Escape closes and focus returns to the launcher");

  await page.keyboard.press("Space");
  await w.dialog.waitFor();
  assert.equal(await focused(page), "Nhập câu hỏi", "Space opens too");
  await page.getByRole("button", { name: "Đóng cửa sổ trò chuyện" }).click();
  await w.dialog.waitFor({ state: "hidden" });
  assert.match(await focused(page), /Hỏi trợ lý/);
});

test("works embedded in a page of another origin (one script tag, API base from its src)", async (t) => {
  // A tiny "other site" on another port of this machine serves a page with just the script tag.
  const hostHtml = `<!doctype html><html lang="en"><title>Other site</title><p>Other site</p>
    <script src="${BASE}/widget.js" data-open="true" defer></script>`;
  const site = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(hostHtml);
  });
  await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
  t.after(() => site.close());
  const { page, w } = await open(t, { url: `http://127.0.0.1:${site.address().port}/` });
  await w.dialog.waitFor();
  const request = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith("/api/chat"));
  await ask(page, "quên mật khẩu vneid");
  assert.equal((await request).url(), CHAT, "the API base comes from the script's src");
  await page.getByRole("link", { name: /^Nguồn: / }).first().waitFor();
});

test("text size (A-/A+) and high contrast change the look and are remembered", async (t) => {
  const { page, w } = await open(t);
  const fontSize = () => w.bot.first().locator(".text").evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  const start = await fontSize();
  assert.ok(start >= 20, `large text by default (${start}px)`);
  await page.getByRole("button", { name: /Tăng cỡ chữ/ }).click();
  await page.getByRole("button", { name: /Tăng cỡ chữ/ }).click();
  const bigger = await fontSize();
  assert.ok(bigger > start, `A+ makes text bigger (${start} → ${bigger})`);

  const contrast = page.getByRole("button", { name: "Chế độ tương phản cao" });
  assert.equal(await contrast.getAttribute("aria-pressed"), "false");
  await contrast.click();
  assert.equal(await contrast.getAttribute("aria-pressed"), "true");
  const background = () => w.dialog.evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(await background(), "rgb(0, 0, 0)");

  await page.reload();
  await w.dialog.waitFor();
  assert.equal(await fontSize(), bigger, "text size remembered");
  assert.equal(await background(), "rgb(0, 0, 0)", "contrast remembered");
  await page.getByRole("button", { name: /Giảm cỡ chữ/ }).click();
  assert.ok(await fontSize() < bigger, "A- makes text smaller");
  await contrast.click();
  assert.equal(await background(), "rgb(255, 255, 255)");
});

// Every visible control of the widget is at least 44×44 px.
async function smallTargets(page) {
  return page.evaluate(() => {
    const root = document.querySelector("binhdan-chat").shadowRoot;
    return Array.from(root.querySelectorAll("button, textarea, .sources a"))
      .map((el) => ({ el, box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && (box.width < 44 || box.height < 44))
      .map(({ el, box }) => `${el.getAttribute("aria-label") || el.textContent}: ${box.width}×${box.height}`);
  });
}

async function audit(page) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
  }));
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length,
    targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
}

test("axe-core finds no serious or critical problem in the open widget", async (t) => {
  for (const contrast of [false, true]) {
    const { page, w } = await open(t, {
      init: contrast ? () => localStorage.setItem("binhdan-widget:contrast", "true") : undefined,
    });
    await ask(page, "quên mật khẩu vneid");
    await page.getByRole("link", { name: /^Nguồn: / }).first().waitFor();
    assert.ok(await w.dialog.isVisible());
    assert.deepEqual(await smallTargets(page), [], "tap targets ≥ 44×44 px");
    const violations = await audit(page);
    console.log(`axe (${contrast ? "high contrast" : "default theme"}):`,
      violations.length ? JSON.stringify(violations) : "no violations");
    const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(bad, [], "no serious or critical axe violations");
  }
});

test("offline: a polite notice, the message is queued and delivered when back online", async (t) => {
  const { context, page, w } = await open(t);
  await w.dialog.waitFor();
  await context.setOffline(true);
  await w.input.fill("quên mật khẩu vneid");
  await w.input.press("Enter");
  await page.waitForFunction(() => document.querySelector("binhdan-chat").shadowRoot
    .querySelector(".notice").textContent.includes("Mất kết nối mạng"));
  await w.user.filter({ hasText: "quên mật khẩu vneid" }).locator(".pending").waitFor();
  const queue = await page.evaluate(() => JSON.parse(localStorage.getItem("binhdan-widget:queue")));
  assert.deepEqual(queue.map((q) => q.message), ["quên mật khẩu vneid"], "the text is kept");
  const violations = await audit(page);
  console.log("axe (offline notice shown):", violations.length ? JSON.stringify(violations) : "no violations");
  assert.deepEqual(violations.filter((v) => v.impact === "serious" || v.impact === "critical"), []);

  const before = await w.bot.count();
  const request = page.waitForRequest((r) => r.url() === CHAT && r.method() === "POST");
  await context.setOffline(false);
  assert.equal((await request).postDataJSON().message, "quên mật khẩu vneid");
  await waitForBotMessages(page, before);
  await page.getByRole("link", { name: /^Nguồn: / }).first().waitFor();
  assert.equal(await w.notice.innerText(), "", "the notice goes away");
  assert.equal(await page.locator(".pending").count(), 0);
  assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem("binhdan-widget:queue"))), []);

  // A request that fails while the browser thinks it is online: "Gửi lại ngay" resends it.
  await context.route(CHAT, (route) => route.abort("internetdisconnected"));
  await w.input.fill("xin chào");
  await w.input.press("Enter");
  const retry = page.getByRole("button", { name: "Gửi lại ngay" });
  await retry.waitFor();
  await context.unroute(CHAT);
  const count = await w.bot.count();
  await retry.click();
  await waitForBotMessages(page, count);
  assert.equal(await page.locator(".pending").count(), 0);
});

// Fake Web Speech APIs: recognition that "hears" a question, and one Vietnamese voice.
function fakeSpeech() {
  window.__spoken = [];
  window.SpeechRecognition = window.webkitSpeechRecognition = class {
    start() {
      setTimeout(() => {
        this.onresult?.({ results: [[{ transcript: "quên mật khẩu vneid" }]] });
        this.onend?.();
      }, 10);
    }
    stop() { this.onend?.(); }
  };
  const voice = { lang: "vi-VN", name: "Tiếng Việt" };
  Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
    getVoices: () => [voice], speak: (u) => window.__spoken.push(u), cancel() {}, addEventListener() {},
  } });
  window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
}

test("voice: the microphone fills the input and 'Đọc to' reads in Vietnamese", async (t) => {
  const { page, w } = await open(t, { init: fakeSpeech });
  await page.getByRole("button", { name: "Nói câu hỏi bằng giọng nói" }).click();
  await page.waitForFunction(() => document.querySelector("binhdan-chat").shadowRoot
    .querySelector("textarea").value === "quên mật khẩu vneid");
  const before = await w.bot.count();
  await w.input.press("Enter");
  await waitForBotMessages(page, before);
  const read = page.getByRole("button", { name: "Đọc to tin nhắn này" }).last();
  assert.ok(await read.isVisible());
  await read.click();
  const spoken = await page.evaluate(() => window.__spoken.map((u) => ({ lang: u.lang, voice: u.voice.lang, text: u.text })));
  assert.equal(spoken.length, 1);
  assert.equal(spoken[0].lang, "vi-VN");
  assert.equal(spoken[0].voice, "vi-VN");
});

test("voice buttons are hidden when the browser lacks the APIs", async (t) => {
  const { page } = await open(t, {
    init: () => {
      delete window.SpeechRecognition;
      delete window.webkitSpeechRecognition;
      Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
        getVoices: () => [{ lang: "en-US", name: "English" }], speak() {}, cancel() {}, addEventListener() {},
      } });
    },
  });
  await widget(page).dialog.waitFor();
  assert.equal(await page.locator(".mic").isVisible(), false, "no microphone without SpeechRecognition");
  assert.equal(await page.locator(".speak").first().isVisible(), false, "no 'Đọc to' without a vi voice");
});

test("phone-size screenshot of the open widget", async (t) => {
  const { page, w } = await open(t, { viewport: { width: 390, height: 844 } });
  await ask(page, "quen mk vneid lam sao");
  await page.getByRole("link", { name: /^Nguồn: / }).first().waitFor();
  const box = await w.dialog.boundingBox();
  assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 390, 844], "the panel fills a phone screen");
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), true, "no sideways scroll");
  assert.deepEqual(await smallTargets(page), [], "tap targets ≥ 44×44 px");
  const out = process.env.UPDATE_SCREENSHOT
    ? path.resolve(HERE, "../../docs/widget-phone.png") : path.join(os.tmpdir(), "widget-phone.png");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log("screenshot:", out);
});
