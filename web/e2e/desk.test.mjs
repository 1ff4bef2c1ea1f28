// Browser test of dealing (分配) and the desk (工作台): a manager deals a batch evenly to two
// agents (preview → commit → report), sees the 坐席 page; an agent works the desk one lead at
// a time (tel: link, 未接通, 有意向 with a note; a lost answer is sent again with the same
// request_id) and never sees a count of leads.
// Starts the real server binary (env DIALDECK_BIN or <repo>/build/dialdeck) on a fresh database.
//
//   npm run e2e            (from web/)
//   node --test web/e2e/   (from the repo root)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { addUser, cli, useServerAndBrowser, newPage, shot, tid, noMessages } from './helpers.mjs'

const ADMIN = { username: 'boss', password: 'Admin-pass-123' }
const MANAGER = { username: 'mgr', password: 'Manager-pass-1' }
const A1 = { username: 'a1', display: '张业务', password: 'Agent-pass-123' }
const A2 = { username: 'a2', display: '李业务', password: 'Agent-pass-456' }
const BATCH = '万科城来访客户'
// ten leads; no digits in names or extra columns, so that any number on the desk would be a count
const NAMES = ['张三', '李四', '王五', '赵六', '钱七', '孙八', '周九', '吴十', '郑一', '冯二']
const CSV =
  ['姓名,电话,区域,楼盘,意向户型', ...NAMES.map((n, i) => `${n},138 1234 56${String(i + 1).padStart(2, '0')},深圳,万科城,三房`)].join(
    '\n',
  ) + '\n'

let batchId

const env = useServerAndBrowser(({ db, tmp }) => {
  addUser(db, ADMIN, 'admin')
  cli(['department', 'add', 'SALES', '--name', '销售一部', '--db', db])
  addUser(db, MANAGER, 'manager', '--department', 'SALES')
  addUser(db, A1, 'agent', '--department', 'SALES', '--display-name', A1.display)
  addUser(db, A2, 'agent', '--department', 'SALES', '--display-name', A2.display)
  const file = join(tmp, 'leads.csv')
  writeFileSync(file, CSV, 'utf8')
  const report = JSON.parse(cli(['import', file, '--db', db, '--json', '--batch-name', BATCH, '--quality', 'A']))
  assert.equal(report.imported, 10, JSON.stringify(report))
  batchId = report.batch_id
  cli(['settings', 'set', 'calling_hours', '00:00-24:00', '--db', db]) // any hour of the test run
})

const { login } = env

test('manager deals a batch evenly to two agents', async () => {
  const { context, page, problems } = await newPage(env.browser, { width: 1280, height: 800 })
  try {
    await login(page, MANAGER)
    for (const id of ['menu-deals', 'menu-agents']) await tid(page, id).waitFor()
    assert.equal(await tid(page, 'menu-settings').count(), 0, 'settings are for admins')

    await tid(page, 'menu-deals').click()
    await page.waitForURL(/\/deals$/)
    await tid(page, 'deals-page').waitFor()
    // the batch, with its imported count
    await tid(page, 'deal-batches').click()
    const option = page.locator(`[data-test="deal-batch-${batchId}"]:visible`)
    await option.waitFor()
    assert.match(await option.innerText(), /导入 10 条/)
    await option.click()
    await page.keyboard.press('Escape')
    await tid(page, 'deal-strategy-even').click()
    await tid(page, 'deal-agents-all').click()
    await tid(page, 'deal-preview').click()
    await tid(page, 'deal-preview-result').waitFor()
    assert.equal((await tid(page, 'deal-preview-report-total').innerText()).trim(), '10')
    const rows = tid(page, 'deal-preview-report-shares').locator('.el-table__body tr')
    assert.equal(await rows.count(), 2, 'two agents')
    for (const a of [A1, A2]) {
      assert.equal((await tid(page, `share-count-${a.username}`).first().innerText()).trim(), '5', a.username)
      assert.equal((await tid(page, `share-${a.username}`).first().innerText()).trim(), a.display)
    }
    await shot(page, '40-deal-preview')
    const previewSeed = (await tid(page, 'deal-preview-report-seed').innerText()).trim()

    await tid(page, 'deal-commit').click()
    await tid(page, 'deal-report').waitFor()
    await page.waitForURL(/\/deals\/\d+$/)
    const dealId = new URL(page.url()).pathname.split('/').pop()
    assert.equal((await tid(page, 'deal-report-id').innerText()).trim(), `#${dealId}`)
    assert.equal((await tid(page, 'deal-report-seed').innerText()).trim(), previewSeed, 'the deal is the one previewed')
    assert.equal((await tid(page, 'share-count-a1').last().innerText()).trim(), '5')
    await shot(page, '41-deal-report')
    await page.keyboard.press('Escape')
    await page.waitForURL(/\/deals$/)
    await tid(page, `deal-${dealId}`).waitFor()
    await noMessages(page)
    await shot(page, '42-deals')

    // 坐席: both agents with 5 leads each in their queue, 在岗
    await tid(page, 'menu-agents').click()
    await tid(page, 'agents-table').waitFor()
    await tid(page, 'agent-row-a1').waitFor()
    for (const a of [A1, A2]) {
      assert.equal((await tid(page, `agent-queue-${a.username}`).first().innerText()).trim(), '5', a.username)
      assert.equal((await tid(page, `agent-status-${a.username}`).first().innerText()).trim(), '在岗')
      // 5 left, below the default threshold of 10
      assert.equal(await tid(page, `agent-low-stock-${a.username}`).count() > 0, true, `${a.username} low stock`)
    }
    assert.equal(await tid(page, 'levels-card').count(), 0, 'levels are managed by admins')
    await shot(page, '43-agents')
    await page.setViewportSize({ width: 375, height: 740 })
    await shot(page, '43b-phone-agents')
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})

test('agent works the desk: one lead at a time, no counts', async () => {
  const { context, page, problems } = await newPage(env.browser, { width: 1280, height: 800 })
  const outcomePosts = []
  const deskGets = []
  page.on('request', (r) => {
    const u = new URL(r.url())
    if (u.pathname === '/api/v1/desk/outcome' && r.method() === 'POST') outcomePosts.push(JSON.parse(r.postData() || '{}'))
    if (u.pathname === '/api/v1/desk' && r.method() === 'GET') deskGets.push(u.pathname)
  })
  try {
    await login(page, A1)
    assert.equal(new URL(page.url()).pathname, '/desk')
    await tid(page, 'desk-lead').waitFor()

    // the answer of the desk API itself carries no count
    const api = await page.evaluate(() => fetch('/api/v1/desk').then((r) => r.json()))
    assert.deepEqual(Object.keys(api).sort(), ['can_pull', 'lead', 'low_stock'])
    assert.equal(api.low_stock, true, '5 leads < threshold 10')

    const lead1 = await tid(page, 'desk-lead').getAttribute('data-lead-id')
    const phone = tid(page, 'desk-phone')
    assert.match(await phone.getAttribute('href'), /^tel:\+86138123456\d\d$/)
    assert.match(await phone.innerText(), /^138 1234 56\d\d$/)
    assert.ok(NAMES.includes((await tid(page, 'desk-name').innerText()).trim()))
    assert.match(await tid(page, 'desk-attributes').innerText(), /楼盘\s*万科城/)
    // The file's 区域 column and the number's own region, both labelled.
    assert.match(await tid(page, 'desk-area').innerText(), /地区\s*深圳/)
    assert.match(await tid(page, 'desk-where').innerText(), /号码归属地/)
    await tid(page, 'desk-low-stock').waitFor()
    assert.match(await tid(page, 'desk-low-stock').innerText(), /存量不足，请联系主管/)
    assert.equal(await page.locator('[data-test="desk-lead"]').count(), 1, 'exactly one lead')
    await assertNoCounts(page)
    await shot(page, '44-desk')

    // 未接通 → a different lead at once, from the POST's answer (no extra GET)
    const getsBefore = deskGets.length
    await tid(page, 'outcome-no_answer').click()
    await page.waitForFunction((id) => document.querySelector('[data-test="desk-lead"]')?.dataset.leadId !== id, lead1)
    const lead2 = await tid(page, 'desk-lead').getAttribute('data-lead-id')
    assert.notEqual(lead2, lead1)
    assert.equal(deskGets.length, getsBefore, 'the next lead came with the answer')
    assert.equal(outcomePosts.length, 1)
    assert.equal(outcomePosts[0].outcome, 'no_answer')
    assert.equal(String(outcomePosts[0].lead_id), lead1)
    assert.match(outcomePosts[0].request_id, /^[0-9a-f-]{36}$/)
    await assertNoCounts(page)

    // 有意向 with a note; the first try is lost on the way: sent again with the same request_id
    let dropped = false
    await page.route('**/api/v1/desk/outcome', (route) => {
      if (!dropped) {
        dropped = true
        return route.abort('failed')
      }
      return route.continue()
    })
    await tid(page, 'desk-note').fill('客户对三房感兴趣，周末来看房')
    await noMessages(page)
    await tid(page, 'outcome-interested').click()
    await page.waitForFunction((id) => document.querySelector('[data-test="desk-lead"]')?.dataset.leadId !== id, lead2)
    const lead3 = await tid(page, 'desk-lead').getAttribute('data-lead-id')
    assert.ok(![lead1, lead2].includes(lead3), 'a third lead')
    const tries = outcomePosts.slice(1)
    assert.equal(tries.length, 2, 'sent twice')
    assert.equal(tries[0].request_id, tries[1].request_id, 'the retry keeps the request_id')
    assert.notEqual(tries[0].request_id, outcomePosts[0].request_id, 'each outcome has its own request_id')
    assert.equal(tries[1].outcome, 'interested')
    assert.equal(tries[1].note, '客户对三房感兴趣，周末来看房')
    assert.equal(await page.inputValue('[data-test="desk-note"] textarea, textarea[data-test="desk-note"]'), '', 'the note is cleared')
    await page.unroute('**/api/v1/desk/outcome')
    await assertNoCounts(page)

    // keyboard: 4 = 忙线
    await page.locator('body').click({ position: { x: 5, y: 5 } })
    await page.keyboard.press('4')
    await page.waitForFunction((id) => document.querySelector('[data-test="desk-lead"]')?.dataset.leadId !== id, lead3)
    assert.equal(outcomePosts.at(-1).outcome, 'busy')
    await noMessages(page)
    await shot(page, '45-desk-next')

    await page.setViewportSize({ width: 375, height: 740 })
    await tid(page, 'desk-phone').waitFor()
    const box = await tid(page, 'desk-phone').boundingBox()
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `the number fits the phone: ${JSON.stringify(box)}`)
    await assertNoCounts(page)
    await shot(page, '46-phone-desk')

    // an old request for a lead no longer on the desk: 409 not_current_lead
    const stale = await page.evaluate(async (leadId) => {
      const me = await fetch('/api/v1/me').then((r) => r.json())
      const r = await fetch('/api/v1/desk/outcome', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
        body: JSON.stringify({ lead_id: Number(leadId), outcome: 'busy', note: '', callback_at: null, request_id: crypto.randomUUID() }),
      })
      return { status: r.status, body: await r.json() }
    }, lead1)
    assert.equal(stale.status, 409, JSON.stringify(stale))
    assert.equal(stale.body.code, 'not_current_lead')
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})

/** No number on the desk apart from the phone number and the 1–8 key hints. */
async function assertNoCounts(page) {
  const text = await page.evaluate(() => {
    const root = document.querySelector('[data-test="desk"]').cloneNode(true)
    for (const el of root.querySelectorAll('[data-test="desk-phone"], .key, .shortcut-hint')) el.remove()
    return root.textContent
  })
  assert.doesNotMatch(text, /\d/, `a number on the desk: ${text}`)
  const title = await page.title()
  assert.doesNotMatch(title, /\d/)
}

test('admin: agent levels and settings', async () => {
  const { context, page, problems } = await newPage(env.browser, { width: 1280, height: 800 })
  const field = (id) => page.locator(`input[data-test="${id}"], [data-test="${id}"] input, textarea[data-test="${id}"], [data-test="${id}"] textarea`).first()
  try {
    await login(page, ADMIN)
    for (const id of ['menu-deals', 'menu-agents', 'menu-settings']) await tid(page, id).waitFor()

    // 业务员等级: add 金牌 (3), give it to a1
    await tid(page, 'menu-agents').click()
    await tid(page, 'levels-card').waitFor()
    await tid(page, 'level-create').click()
    await tid(page, 'level-dialog').waitFor()
    await field('level-name').fill('金牌')
    await field('level-weight').fill('3')
    await tid(page, 'level-submit').click()
    await tid(page, 'level-dialog').waitFor({ state: 'hidden' })
    await tid(page, 'level-edit-金牌').waitFor()
    await noMessages(page)
    await tid(page, 'agent-edit-a1').click()
    await tid(page, 'agent-edit-dialog').waitFor()
    await tid(page, 'agent-level').click()
    await page.locator('.el-select-dropdown__item:visible', { hasText: '金牌' }).first().click()
    await tid(page, 'agent-edit-submit').click()
    await tid(page, 'agent-edit-dialog').waitFor({ state: 'hidden' })
    await page.waitForFunction(() => document.querySelector('[data-test="agent-weight-a1"]')?.textContent.trim() === '3')
    await noMessages(page)
    await shot(page, '47-agents-admin')

    // 系统设置: translated names, the value set by the CLI, an edit
    await tid(page, 'menu-settings').click()
    await tid(page, 'settings-table').waitFor()
    await tid(page, 'setting-calling_hours').waitFor()
    assert.match(await tid(page, 'setting-calling_hours').innerText(), /允许拨打时段/)
    assert.equal((await tid(page, 'setting-value-calling_hours').innerText()).trim(), '00:00-24:00')
    await tid(page, 'setting-edit-low_stock_threshold').click()
    await tid(page, 'setting-dialog').waitFor()
    await field('setting-value').fill('3')
    await tid(page, 'setting-submit').click()
    await tid(page, 'setting-dialog').waitFor({ state: 'hidden' })
    assert.equal((await tid(page, 'setting-value-low_stock_threshold').innerText()).trim(), '3')
    // a bad value: the server's translated detail
    await noMessages(page)
    await tid(page, 'setting-edit-low_stock_threshold').click()
    await field('setting-value').fill('many')
    await tid(page, 'setting-submit').click()
    const err = page.locator('.el-message--error').first()
    await err.waitFor()
    assert.match(await err.innerText(), /[\u4e00-\u9fff]/)
    await page.keyboard.press('Escape')
    await tid(page, 'setting-dialog').waitFor({ state: 'hidden' })
    await noMessages(page)
    await shot(page, '48-settings')
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})
