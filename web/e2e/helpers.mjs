// Shared helpers of the browser tests: start the real server binary on a fresh database,
// launch Debian's Chromium through playwright-core, and small page helpers.
import assert from 'node:assert/strict'
import { spawn, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before } from 'node:test'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
export const repo = resolve(here, '../..')
export const BIN = process.env.DIALDECK_BIN || join(repo, 'build/dialdeck')
export const SHOTS = join(here, 'screenshots')
export const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p))

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.unref()
    s.on('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => ok(port))
    })
  })
}

/** Runs a CLI subcommand of the server binary (stdin = input). */
export function cli(args, input) {
  return execFileSync(BIN, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 })
}

/** Adds user u ({ username, password }) with a role to database db; extra: more `user add` options. */
export function addUser(db, u, role, ...extra) {
  return cli(['user', 'add', u.username, '--role', role, ...extra, '--password-stdin', '--db', db], `${u.password}\n`)
}

/**
 * Starts `dialdeck serve` on a fresh database in a temp dir.
 * setup({ db, tmp }) runs first (CLI-created users …).
 * Returns { base, db, tmp, log(), stop() }; stop() also removes the temp dir.
 */
export async function startServer(setup) {
  assert.ok(existsSync(BIN), `server binary not found at ${BIN} (build it, or set DIALDECK_BIN)`)
  const tmp = mkdtempSync(join(tmpdir(), 'dialdeck-e2e-'))
  const db = join(tmp, 't.db')
  if (setup) await setup({ db, tmp })

  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  let log = ''
  const server = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`], {
    cwd: tmp,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stdout.on('data', (d) => (log += d))
  server.stderr.on('data', (d) => (log += d))

  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once('exit', r))
      server.kill('SIGTERM')
      const timer = setTimeout(() => server.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }
    rmSync(tmp, { recursive: true, force: true })
  }

  const deadline = Date.now() + 20_000
  let last
  for (;;) {
    if (server.exitCode !== null) {
      await stop()
      throw new Error(`server exited with ${server.exitCode}:\n${log}`)
    }
    try {
      const r = await fetch(`${base}/healthz`)
      if (r.status === 200) break
      last = `HTTP ${r.status}`
    } catch (e) {
      last = e.message
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`server not healthy after 20 s (${last}):\n${log}`)
    }
    await new Promise((r) => setTimeout(r, 150))
  }
  return { base, db, tmp, log: () => log, stop }
}

/**
 * The usual frame of a browser test file: before its tests, startServer(setup)
 * and Chromium; after them, both stopped. Returns { server, base, browser }
 * (filled in once `before` has run) and login(page, user).
 */
export function useServerAndBrowser(setup) {
  const env = {}
  before(async () => {
    env.server = await startServer(setup)
    env.base = env.server.base
    env.browser = await launchBrowser()
  })
  after(async () => {
    await env.browser?.close().catch(() => {})
    await env.server?.stop()
  })
  env.login = (page, user) => login(page, env.base, user)
  return env
}

export async function launchBrowser() {
  assert.ok(CHROMIUM, 'Chromium not found at /usr/lib/chromium/chromium or /usr/bin/chromium')
  mkdirSync(SHOTS, { recursive: true })
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** A fresh browser context (own cookies) that records page errors and CSP violations. */
export async function newPage(browser, viewport, options = {}) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', ...options })
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  const problems = []
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text())
  })
  return { context, page, problems }
}

export async function shot(page, name) {
  await page.waitForTimeout(350) // let drawer/dialog transitions finish
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, animations: 'disabled' })
}

export const tid = (page, id) => page.locator(`[data-test="${id}"]`)

export async function login(page, base, { username, password }) {
  await page.goto(`${base}/login`)
  await tid(page, 'login-username').fill(username)
  await tid(page, 'login-password').fill(password)
  await tid(page, 'login-submit').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
}

/** Wait until earlier toasts (ElMessage) are gone. */
export async function noMessages(page) {
  for (let i = 0; i < 60 && (await page.locator('.el-message').count()) > 0; i++) await page.waitForTimeout(200)
}

/** Pick an option of an Element Plus select by its visible text. */
export async function choose(page, selectTestId, optionText) {
  await tid(page, selectTestId).click()
  const option = page.locator('.el-select-dropdown__item:visible', { hasText: optionText }).first()
  await option.click()
}

/** The body rows of the Element Plus table with this data-test. */
export const tableRows = (page, testId) => page.locator(`[data-test="${testId}"] .el-table__body-wrapper tbody tr`)

/** Clicks the confirming (primary or danger) button of the open ElMessageBox and waits until it closes. */
export async function confirmBox(page) {
  const box = page.locator('.el-message-box:visible')
  await box.waitFor()
  await box.locator('.el-message-box__btns .el-button--primary, .el-message-box__btns .el-button--danger').last().click()
  await box.waitFor({ state: 'hidden' })
}
