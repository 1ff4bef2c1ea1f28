// Browser test of the foundation: login, users, role menus, phone width.
// Starts the real server binary (env DIALDECK_BIN or <repo>/build/dialdeck)
// on a fresh database and drives Debian's Chromium through playwright-core.
//
//   npm run e2e            (from web/)
//   node --test web/e2e/   (from the repo root)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cli, useServerAndBrowser, newPage as openPage, shot, tid, noMessages, choose } from './helpers.mjs'

const ADMIN = { username: 'boss', password: 'Admin-pass-123' }
const SERVICE = { username: 'kefu1', password: 'Service-pass-1', changed: 'Service-pass-2' }
const LOCKED = { username: 'locky', password: 'Locky-pass-123' }
const AGENT = { username: 'agent1', display: '张三', password: 'Agent-pass-123', changed: 'Agent-pass-456' }


const env = useServerAndBrowser(({ db }) => {
  cli(['user', 'add', ADMIN.username, '--role', 'admin', '--password-stdin', '--db', db], `${ADMIN.password}\n`)
  cli(['department', 'add', 'SALES', '--name', '销售一部', '--db', db])
  cli(
    ['user', 'add', SERVICE.username, '--role', 'service', '--password-stdin', '--must-change-password', '--db', db],
    `${SERVICE.password}\n`,
  )
  cli(['user', 'add', LOCKED.username, '--role', 'agent', '--password-stdin', '--db', db], `${LOCKED.password}\n`)
})

const newPage = (viewport) => openPage(env.browser, viewport)
const { login } = env

test('admin creates an agent; the agent sees the agent menu', async () => {
  const { context, page, problems } = await newPage({ width: 1280, height: 800 })
  try {
    // an unknown path falls back to the app, which sends us to the login page
    await page.goto(`${env.base}/some/deep/link`)
    await page.waitForURL(/\/login/)
    await page.getByText('电销 CRM').first().waitFor()
    await shot(page, '01-login-desktop')

    // wrong password: the server's (Chinese) detail is shown
    await tid(page, 'login-username').fill(ADMIN.username)
    await tid(page, 'login-password').fill('wrong-password')
    await tid(page, 'login-submit').click()
    await page.locator('.el-message--error').first().waitFor()
    assert.match(page.url(), /\/login/)

    await login(page, ADMIN)
    assert.equal(new URL(page.url()).pathname, '/home')
    await tid(page, 'menu-users').waitFor()
    for (const id of ['menu-home', 'menu-departments', 'menu-audit', 'menu-password']) {
      assert.ok(await tid(page, id).isVisible(), `${id} visible for admin`)
    }
    assert.equal(await tid(page, 'menu-desk').count(), 0)
    await page.getByText('管理员').first().waitFor()
    await shot(page, '02-admin-home')

    // 用户管理 → 新建用户
    await tid(page, 'menu-users').click()
    await page.waitForURL(/\/users$/)
    // a reload keeps the session: user and CSRF token come back from GET /me
    await page.reload()
    await page.getByRole('cell', { name: ADMIN.username, exact: true }).first().waitFor()
    await tid(page, 'user-create').click()
    const dialog = tid(page, 'user-create-dialog')
    await dialog.waitFor()
    await tid(page, 'new-username').fill(AGENT.username)
    await tid(page, 'new-display-name').fill('临时名字')
    await choose(page, 'new-role', '业务员')
    await choose(page, 'new-department', '销售一部')
    await tid(page, 'new-password').fill(AGENT.password)
    await shot(page, '03-create-user-dialog')
    await tid(page, 'new-submit').click()
    await dialog.waitFor({ state: 'hidden' })
    const row = page.locator('.el-table__body tr', { hasText: AGENT.username })
    await row.waitFor()
    // edit dialog: fix the display name (PATCH)
    await tid(page, `user-edit-${AGENT.username}`).click()
    await tid(page, 'user-edit-dialog').waitFor()
    await tid(page, 'edit-display-name').fill(AGENT.display)
    await shot(page, '03b-edit-user-dialog')
    await tid(page, 'edit-submit').click()
    await tid(page, 'user-edit-dialog').waitFor({ state: 'hidden' })
    await row.getByText(AGENT.display, { exact: true }).waitFor()
    const rowText = await row.innerText()
    assert.match(rowText, /业务员/)
    assert.match(rowText, /销售一部/)
    assert.match(rowText, new RegExp(AGENT.display))
    await shot(page, '04-users')

    // departments page shows the tree
    await tid(page, 'menu-departments').click()
    await page.waitForURL(/\/departments$/)
    await page.getByRole('cell', { name: 'SALES', exact: true }).first().waitFor()
    // create a sub-department under SALES, see it in the tree, delete it again
    await tid(page, 'dept-add-child-SALES').click()
    await tid(page, 'dept-dialog').waitFor()
    await tid(page, 'dept-code').fill('SALES-2')
    await tid(page, 'dept-name').fill('销售二组')
    await tid(page, 'dept-submit').click()
    await tid(page, 'dept-dialog').waitFor({ state: 'hidden' })
    await page.getByRole('cell', { name: '销售二组', exact: true }).first().waitFor()
    await shot(page, '05-departments')
    await tid(page, 'dept-delete-SALES-2').click()
    await page.locator('.el-message-box').getByRole('button', { name: '删除' }).click()
    await page.getByRole('cell', { name: '销售二组', exact: true }).waitFor({ state: 'detached' })
    // a department that still has users cannot be deleted: the server says why
    await tid(page, 'dept-delete-SALES').click()
    await page.locator('.el-message-box').getByRole('button', { name: '删除' }).click()
    await page.locator('.el-message--error').first().waitFor()
    await page.getByRole('cell', { name: 'SALES', exact: true }).first().waitFor()

    // audit log page answers
    await tid(page, 'menu-audit').click()
    await page.waitForURL(/\/audit$/)
    await tid(page, 'audit-page').waitFor()
    await page.getByRole('cell', { name: 'user.create' }).first().waitFor()
    await tid(page, 'audit-verify').click()
    await tid(page, 'audit-verify-result').waitFor()
    assert.match(await tid(page, 'audit-verify-result').innerText(), /日志链完整/)

    // language switch to English and back
    await tid(page, 'lang-switch').click()
    await tid(page, 'lang-en').click()
    await page.getByText('Log out').first().waitFor()
    assert.equal(await tid(page, 'menu-users').innerText(), 'Users')
    await shot(page, '06-audit-english')
    // the server's error detail follows the UI language (Accept-Language: en)
    await noMessages(page)
    await tid(page, 'menu-users').click()
    await page.waitForURL(/\/users$/)
    await tid(page, 'user-create').click()
    await tid(page, 'new-username').fill(ADMIN.username)
    await tid(page, 'new-display-name').fill('Duplicate')
    await tid(page, 'new-password').fill('Whatever-pass-1')
    await tid(page, 'new-submit').click()
    const dup = page.locator('.el-message--error').first()
    await dup.waitFor()
    const dupText = await dup.innerText()
    assert.ok(dupText.trim().length > 0 && !/[\u4e00-\u9fff]/.test(dupText), `English detail expected: ${dupText}`)
    await page.keyboard.press('Escape')
    await tid(page, 'user-create-dialog').waitFor({ state: 'hidden' })
    await tid(page, 'lang-switch').click()
    await tid(page, 'lang-zh-CN').click()
    await page.getByText('退出登录').first().waitFor()

    await tid(page, 'logout').click()
    await page.waitForURL(/\/login/)

    // the agent logs in (changing the password first if the server demands it)
    await login(page, AGENT)
    if (new URL(page.url()).pathname === '/password') {
      await tid(page, 'must-change').waitFor()
      await shot(page, '07a-agent-must-change-password')
      await tid(page, 'pw-current').fill(AGENT.password)
      await tid(page, 'pw-new').fill(AGENT.changed)
      await tid(page, 'pw-confirm').fill(AGENT.changed)
      await tid(page, 'pw-submit').click()
      await page.waitForURL((u) => u.pathname !== '/password')
      if (new URL(page.url()).pathname === '/login') await login(page, { ...AGENT, password: AGENT.changed })
    }
    assert.equal(new URL(page.url()).pathname, '/desk')
    await tid(page, 'menu-desk').waitFor()
    assert.ok(await tid(page, 'menu-password').isVisible())
    assert.equal(await tid(page, 'menu-users').count(), 0)
    assert.equal(await tid(page, 'menu-home').count(), 0)
    assert.equal(await tid(page, 'menu-audit').count(), 0)
    assert.equal((await tid(page, 'user-name').innerText()).trim(), AGENT.display)
    // an agent typing an admin URL is sent back to the desk
    await page.goto(`${env.base}/users`)
    await page.waitForURL(/\/desk$/)
    await shot(page, '07-agent-desk')

    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})

test('a user who must change the password is kept on that page until done', async () => {
  const { context, page, problems } = await newPage({ width: 1280, height: 800 })
  try {
    await login(page, SERVICE)
    assert.equal(new URL(page.url()).pathname, '/password')
    await tid(page, 'must-change').waitFor()
    await page.goto(`${env.base}/home`)
    await page.waitForURL(/\/password$/)
    // too short: refused in the browser; wrong current password: the server's detail
    await tid(page, 'pw-current').fill('not-my-password')
    await tid(page, 'pw-new').fill(SERVICE.changed)
    await tid(page, 'pw-confirm').fill(SERVICE.changed)
    await tid(page, 'pw-submit').click()
    await page.locator('.el-message--error').first().waitFor()
    assert.equal(new URL(page.url()).pathname, '/password')
    await tid(page, 'pw-current').fill(SERVICE.password)
    await tid(page, 'pw-submit').click()
    await page.waitForURL(/\/home$/)
    await tid(page, 'menu-home').waitFor()
    assert.equal(await tid(page, 'menu-users').count(), 0)
    assert.equal(await tid(page, 'menu-departments').count(), 0)
    await page.getByText('客服').first().waitFor()
    await shot(page, '08-service-home')

    // a locked account: the login page shows the server's 423 detail
    let status = 0
    for (let i = 0; i < 30 && status !== 423; i++) {
      const r = await fetch(`${env.base}/api/v1/session`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: LOCKED.username, password: 'wrong-password' }),
      })
      status = r.status
    }
    assert.equal(status, 423, 'the account locks after repeated failures')
    await tid(page, 'logout').click()
    await page.waitForURL(/\/login/)
    await tid(page, 'login-username').fill(LOCKED.username)
    await tid(page, 'login-password').fill(LOCKED.password)
    await tid(page, 'login-submit').click()
    const msg = page.locator('.el-message--error').first()
    await msg.waitFor()
    assert.match(await msg.innerText(), /[\u4e00-\u9fff]/, 'a Chinese detail')
    assert.match(page.url(), /\/login/)
    await shot(page, '09-login-locked')

    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})

test('phone width (375px): login page and layout render', async () => {
  const { context, page, problems } = await newPage({ width: 375, height: 740 })
  try {
    await page.goto(`${env.base}/login`)
    await tid(page, 'login-submit').waitFor()
    await shot(page, '10-phone-login')
    const box = await page.locator('.login-card').boundingBox()
    assert.ok(box.width <= 375 && box.x >= 0, `login card fits the screen: ${JSON.stringify(box)}`)

    await login(page, ADMIN)
    await tid(page, 'menu-toggle').waitFor()
    // the side menu is hidden until the hamburger opens the drawer
    assert.equal(await tid(page, 'menu-users').count(), 0)
    await shot(page, '11-phone-home')
    await tid(page, 'menu-toggle').click()
    await tid(page, 'menu-users').waitFor()
    await shot(page, '12-phone-drawer')
    await tid(page, 'menu-users').click()
    await page.waitForURL(/\/users$/)
    await page.getByRole('cell', { name: ADMIN.username, exact: true }).first().waitFor()
    await tid(page, 'menu-users').waitFor({ state: 'hidden' })
    await shot(page, '13-phone-users')
    await tid(page, 'user-create').click()
    await tid(page, 'user-create-dialog').waitFor()
    await shot(page, '14-phone-create-dialog')
    const dlg = await page.locator('.el-dialog').first().boundingBox()
    assert.ok(dlg.x >= 0 && dlg.x + dlg.width <= 375, `dialog fits the screen: ${JSON.stringify(dlg)}`)
    // no horizontal scrolling of the page itself
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`)

    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})
