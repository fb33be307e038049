// Browser tests of the console against a running stack (BASE_URL, with the first admin from
// ADMIN_USERNAME / ADMIN_PASSWORD): log in, write, review and publish an article and see the chat
// answer with it; take a handed-over conversation and answer it into the web widget; axe audits.
//
//   cd tests/browser && BASE_URL=http://127.0.0.1:8000 ADMIN_PASSWORD=... node --test console.test.mjs
//
// UPDATE_SCREENSHOT=1 also writes docs/console-dashboard.png, console-editor.png, console-handoffs.png.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.BASE_URL || "http://127.0.0.1:8000").replace(/\/+$/, "");
const ADMIN = { username: process.env.ADMIN_USERNAME || "admin", password: process.env.ADMIN_PASSWORD };
const PASSWORD = "mat-khau-thu-nghiem-1";
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let browser, adminToken;
before(async () => {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  adminToken = (await json("POST", "/admin/api/login", ADMIN)).token;
  for (const [username, role] of [["bientap", "editor"], ["kiemduyet", "reviewer"], ["tinhnguyen", "volunteer"]]) {
    await json("POST", "/admin/api/users", { username, password: PASSWORD, role }, adminToken);
  }
});
after(async () => { await browser?.close(); });

async function json(method, url, body, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(BASE + url, { method, headers, body: body && JSON.stringify(body) });
  const data = await response.json();
  assert.ok(response.ok, `${method} ${url}: ${response.status} ${JSON.stringify(data)}`);
  return data;
}

// A fresh browser profile logged in as `username`; page errors fail the test.
async function loggedIn(t, username, password = PASSWORD) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "vi-VN" });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], "no JavaScript errors on the page");
  });
  await page.goto(BASE + "/console/");
  assert.match(page.url(), /\/console\/login/, "the console asks to log in first");
  await page.getByLabel("Tên đăng nhập").fill(username);
  await page.getByLabel("Mật khẩu").fill(password);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.getByRole("heading", { name: "Tổng quan" }).waitFor();
  return page;
}

async function seriousViolations(page) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
  }));
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
}

async function screenshot(page, name) {
  const out = process.env.UPDATE_SCREENSHOT
    ? path.resolve(HERE, `../../docs/${name}.png`) : path.join(os.tmpdir(), `${name}.png`);
  await page.screenshot({ path: out, fullPage: false });
  console.log("screenshot:", out);
}

async function ask(question) {
  return json("POST", "/api/chat", { sender: "web:console-test-" + Math.random(), message: question });
}

test("an editor writes, a reviewer approves and publishes, and the chat answers with it", async (t) => {
  const question = "vneid có chế độ chữ to cho người già không";
  const answer = "Ứng dụng VNeID dùng cỡ chữ của điện thoại. Bác vào Cài đặt, chọn Màn hình, kéo cỡ chữ to lên.";
  const editor = await loggedIn(t, "bientap");
  await editor.goto(BASE + "/console/articles/new");
  await editor.getByLabel("Tiêu đề").fill("Chữ to trong ứng dụng VNeID");
  await editor.getByLabel("Chủ đề").selectOption("vneid");
  await editor.getByLabel(/Cách người dân hỏi/).fill([question, "phóng to chữ trên vneid", "chu vneid nho qua"].join("\n"));
  await editor.getByLabel("Nội dung trả lời").fill(answer);
  await editor.getByLabel(/Nguồn/).fill("VNeID | https://vneid.gov.vn");
  await editor.locator("#preview").filter({ hasText: "kéo cỡ chữ to lên" }).waitFor(); // the live preview
  assert.match(await editor.locator("#preview").innerText(), /Xem thêm:\n- VNeID: https:\/\/vneid\.gov\.vn/);
  await editor.getByRole("button", { name: "Lưu bản nháp" }).click();
  await editor.waitForURL(/\/console\/articles\/vneid-/);
  const articleUrl = editor.url();
  await editor.getByText("Đã lưu bản nháp").waitFor();
  assert.deepEqual(await seriousViolations(editor), [], "the editor has no serious or critical axe violations");
  await screenshot(editor, "console-editor");
  await editor.getByRole("button", { name: "Gửi duyệt" }).click();
  await editor.getByText("Đã gửi duyệt.").waitFor();
  assert.equal(await editor.locator("#status").innerText(), "in_review");
  assert.equal(await editor.getByRole("button", { name: "Duyệt" }).count(), 1);

  const reviewer = await loggedIn(t, "kiemduyet");
  await reviewer.goto(articleUrl);
  await reviewer.getByRole("button", { name: "Duyệt" }).click();
  await reviewer.getByText("Đã duyệt.").waitFor();
  await reviewer.getByRole("button", { name: "Xuất bản" }).click();
  await reviewer.getByText(/Đã xuất bản/).waitFor();
  const published = Date.now();
  let reply;
  do {
    reply = await ask(question);
  } while (!reply.messages.some((m) => m.text.includes("kéo cỡ chữ to lên")) && Date.now() - published < 10_000);
  assert.ok(reply.messages.some((m) => m.text.includes("kéo cỡ chữ to lên")), JSON.stringify(reply));
  console.log(`answered with the published article ${Date.now() - published} ms after publishing`);
});

test("the handoff inbox: a volunteer takes the conversation and the reply reaches the widget", async (t) => {
  const context = await browser.newContext({ viewport: { width: 600, height: 900 }, locale: "vi-VN" });
  t.after(() => context.close());
  const citizen = await context.newPage();
  await citizen.goto(BASE + "/");
  const input = citizen.getByRole("textbox", { name: "Nhập câu hỏi" });
  await input.fill("cho tôi gặp cán bộ hỗ trợ");
  await input.press("Enter");
  // the handoff reply, not the welcome message (its "Gặp người hỗ trợ" button matches too)
  await citizen.locator("li.msg.bot:not(.typing):not([data-id=welcome])").filter({ hasText: /người hỗ trợ trực tiếp/ }).first().waitFor();
  const sender = await citizen.evaluate(() => JSON.parse(localStorage.getItem("binhdan-widget:sender")));

  const volunteer = await loggedIn(t, "tinhnguyen");
  await volunteer.getByRole("link", { name: /Hộp thư hỗ trợ \(\d+\)/ }).click();
  await volunteer.getByRole("heading", { name: "Hộp thư hỗ trợ" }).waitFor();
  assert.deepEqual(await seriousViolations(volunteer), [], "the inbox has no serious or critical axe violations");
  const handoffs = await json("GET", "/admin/api/handoffs", undefined, adminToken);
  const mine = handoffs.find((h) => h.sender === sender);
  assert.ok(mine, "the conversation waits in the inbox");
  await volunteer.getByRole("link", { name: `#${mine.id}` }).click();
  await volunteer.getByRole("button", { name: "Nhận trả lời" }).click();
  await volunteer.getByLabel("Trả lời người dân").fill("Chào bạn, mình là tình nguyện viên phường, mình giúp bạn nhé.");
  await volunteer.getByRole("button", { name: "Gửi" }).click();
  await volunteer.getByText("Đã gửi.").waitFor();
  assert.deepEqual(await seriousViolations(volunteer), [], "a conversation has no serious or critical axe violations");
  await screenshot(volunteer, "console-handoffs");
  await citizen.locator("li.msg.bot").filter({ hasText: "Cán bộ hỗ trợ: Chào bạn, mình là tình nguyện viên" })
    .waitFor({ timeout: 20_000 }); // the widget polls every 5 s while a human has the conversation
  await volunteer.getByRole("button", { name: "Trả lại cho trợ lý" }).click();
  await volunteer.getByText("Đã trả lại cho trợ lý tự động.").waitFor();
});

test("the dashboard shows the figures and the chart; pages pass axe", async (t) => {
  const page = await loggedIn(t, ADMIN.username, ADMIN.password);
  for (const label of ["Cuộc trò chuyện", "Câu hỏi", "Tỷ lệ trả lời được", "Chuyển cán bộ"]) {
    await page.locator(".card", { hasText: label }).first().waitFor();
  }
  assert.ok(await page.locator("svg[role=img] rect").count() > 0, "a bar chart of questions per day");
  assert.deepEqual(await seriousViolations(page), [], "the dashboard has no serious or critical axe violations");
  await screenshot(page, "console-dashboard");
  for (const url of ["/console/articles", "/console/unanswered", "/console/scripts", "/console/import", "/console/users"]) {
    await page.goto(BASE + url);
    assert.deepEqual(await seriousViolations(page), [], `${url} has no serious or critical axe violations`);
  }
  const csv = await page.request.get(BASE + "/admin/api/reports/usage?from=2026-01-01&to=2030-12-31&format=csv");
  assert.equal(csv.status(), 200, "the CSV export works with the console's session");
});
