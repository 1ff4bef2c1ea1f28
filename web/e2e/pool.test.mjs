// Browser test of the public pool (公海): with a follow-up limit of 1 day and a warning 2 days
// ahead, every dealt lead is within its warning at once. The agent sees the warning on the
// current lead, makes a lead a prospect, sees the "about to be recycled" banner, opens the list
// and brings the prospect back onto the desk with 跟进. The manager sees the pool page (counts,
// rules), runs the recycling now, locks a lead and unlocks it, and the home page's summary.
// Agents cannot open the pool page. With pull mode on, an agent whose desk is empty takes a
// lead from the pool with 从公海领取, and is told when the pool has none left.
//
//   node --test web/e2e/pool.test.mjs   (from the repo root)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { addUser, cli, confirmBox, useServerAndBrowser, newPage, shot, tid, tableRows, noMessages } from './helpers.mjs'

const ADMIN = { username: 'boss', password: 'Admin-pass-123' }
const MANAGER = { username: 'mgr', password: 'Manager-pass-1' }
const AGENT = { username: 'p1', display: '王业务', password: 'Agent-pass-123' }
const PULLER = { username: 'p2', display: '吕业务', password: 'Agent-pass-456' }
const NAMES = ['陈一', '林二', '黄三', '周四']
const CSV = ['姓名,电话', ...NAMES.map((n, i) => `${n},139 8765 43${String(i + 1).padStart(2, '0')}`)].join('\n') + '\n'


const env = useServerAndBrowser(({ db, tmp }) => {
  addUser(db, ADMIN, 'admin')
  cli(['department', 'add', 'SALES', '--name', '销售一部', '--db', db])
  addUser(db, MANAGER, 'manager', '--department', 'SALES')
  addUser(db, AGENT, 'agent', '--department', 'SALES', '--display-name', AGENT.display)
  const file = join(tmp, 'leads.csv')
  writeFileSync(file, CSV, 'utf8')
  const report = JSON.parse(cli(['import', file, '--db', db, '--json', '--batch-name', '公海测试', '--quality', 'A']))
  assert.equal(report.imported, NAMES.length, JSON.stringify(report))
  for (const [k, v] of [
    ['calling_hours', '00:00-24:00'],
    ['pool_follow_up_days', '1'],
    ['pool_warn_days', '2'],
  ]) {
    cli(['settings', 'set', k, v, '--db', db])
  }
  cli(['deal', '--batch', String(report.batch_id), '--db', db])
})

const { login } = env

test('agent: the current lead warns before it is recycled; 跟进 brings an expiring prospect back', async () => {
  const { context, page, problems } = await newPage(env.browser, { width: 1280, height: 800 })
  try {
    await login(page, AGENT)
    assert.equal(new URL(page.url()).pathname, '/desk')
    await tid(page, 'desk-lead').waitFor()
    const warning = tid(page, 'desk-recycle-warning')
    await warning.waitFor()
    assert.match(await warning.innerText(), /回收到公海/)
    assert.match(await warning.innerText(), /未及时跟进/)
    assert.equal(await tid(page, 'desk-expiring').count(), 0, 'no prospect yet')

    // 有意向: the lead becomes a prospect (due in a day, so within the warning)
    const first = (await tid(page, 'desk-name').innerText()).trim()
    const firstId = await tid(page, 'desk-lead').getAttribute('data-lead-id')
    await tid(page, 'outcome-interested').click()
    await page.waitForFunction((id) => document.querySelector('[data-test="desk-lead"]')?.dataset.leadId !== id, firstId)
    const banner = tid(page, 'desk-expiring')
    await banner.waitFor()
    assert.doesNotMatch(await banner.innerText(), /\d/, 'the banner carries no count')
    await shot(page, '60-desk-recycle-warning')

    // the list: names and deadlines, no numbers; 跟进 puts it on the desk
    await tid(page, 'desk-expiring-open').click()
    const drawer = tid(page, 'desk-expiring-drawer')
    await drawer.waitFor()
    const items = page.locator('[data-test="desk-expiring-item"]')
    await items.first().waitFor()
    assert.equal(await items.count(), 1)
    const itemText = await items.first().innerText()
    assert.match(itemText, new RegExp(first))
    assert.doesNotMatch(itemText, /139|8765/, 'no phone number in the list')
    await shot(page, '61-desk-expiring-prospects')
    await tid(page, 'desk-follow-up').click()
    await page.waitForFunction((id) => document.querySelector('[data-test="desk-lead"]')?.dataset.leadId === id, firstId)
    assert.equal((await tid(page, 'desk-name').innerText()).trim(), first)
    await tid(page, 'desk-recycle-warning').waitFor()

    // an agent typing the pool page's address is sent back to the desk
    await page.goto(`${env.base}/pool`)
    await page.waitForURL(/\/desk$/)
    assert.equal(await tid(page, 'menu-pool').count(), 0)
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})

test('manager: the pool page, recycle now, lock and unlock; the home page summary', async () => {
  const { context, page, problems } = await newPage(env.browser, { width: 1280, height: 900 })
  try {
    await login(page, MANAGER)
    await tid(page, 'menu-pool').click()
    await page.waitForURL(/\/pool$/)
    await tid(page, 'pool-stats').waitFor()
    await tid(page, 'pool-rules').waitFor()
    assert.match(await tid(page, 'pool-rule-follow-up').innerText(), /优 1 天/)
    // the scheduler ran once at start (by itself: 系统自动)
    assert.match(await tid(page, 'pool-last-run').innerText(), /系统自动/)

    // 立即回收: nothing is due yet, but every held lead is marked as expiring (the prospect again)
    await tid(page, 'pool-run').click()
    await confirmBox(page)
    await page.locator('.el-message--success').filter({ hasText: /已回收 0 条线索，新增提醒 1 条/ }).waitFor()
    await page.waitForFunction(() => document.querySelector('[data-test="pool-expiring"] .num')?.textContent.trim() === '4')
    await page.waitForFunction(() => document.querySelectorAll('[data-test="pool-table-expiring"] tbody tr').length === 4)
    for (const cell of await page.locator('[data-test="pool-phone"]').allInnerTexts()) {
      assert.match(cell.trim(), /^\d{3}\*{4}\d{4}$/, 'numbers are masked')
    }
    assert.match(await tid(page, 'pool-last-run').innerText(), /mgr/)
    await shot(page, '62-pool-page')

    // 锁定 the first lead: it leaves the expiring list for the locked one
    await noMessages(page)
    await tid(page, 'pool-lock').first().click()
    await page.locator('.el-message--success').filter({ hasText: '已锁定 1 条线索' }).waitFor()
    await page.waitForFunction(() => document.querySelectorAll('[data-test="pool-table-expiring"] tbody tr').length === 3)
    await page.waitForFunction(() => document.querySelector('[data-test="pool-locked"] .num')?.textContent.trim() === '1')
    await page.locator('.el-tabs__item', { hasText: '已锁定' }).click()
    await tableRows(page, 'pool-table-locked').first().waitFor()
    assert.equal(await tableRows(page, 'pool-table-locked').count(), 1)
    assert.match(await tableRows(page, 'pool-table-locked').first().innerText(), /mgr/)
    await shot(page, '63-pool-locked')
    await noMessages(page)
    await tid(page, 'pool-unlock').click()
    await page.locator('.el-message--success').filter({ hasText: '已解锁 1 条线索' }).waitFor()
    await page.waitForFunction(() => document.querySelector('[data-test="pool-locked"] .num')?.textContent.trim() === '0')

    // 公海批次: the pool is empty (all leads dealt)
    await page.locator('.el-tabs__item', { hasText: '公海批次' }).click()
    await tid(page, 'pool-table-batches').waitFor()

    // the home page tells the manager too
    await tid(page, 'menu-home').click()
    await page.waitForURL(/\/home$/)
    const expiring = tid(page, 'home-pool-expiring')
    await expiring.waitFor()
    assert.match(await expiring.innerText(), /4 条线索即将回收到公海/)
    await shot(page, '64-home-pool')
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})

test('agent with an empty desk: 从公海领取 takes the pool lead; an empty pool says so', async () => {
  // while the server runs, as an admin would with the CLI: a second agent with nothing dealt,
  // one lead in the pool (imported, not dealt), pull mode on
  const { db, tmp } = env.server
  addUser(db, PULLER, 'agent', '--department', 'SALES', '--display-name', PULLER.display)
  const file = join(tmp, 'pool.csv')
  writeFileSync(file, '姓名,电话\n吕五,139 8765 4401\n', 'utf8')
  const report = JSON.parse(cli(['import', file, '--db', db, '--json', '--batch-name', '公海领取', '--quality', 'B']))
  assert.equal(report.imported, 1, JSON.stringify(report))
  cli(['settings', 'set', 'pull_mode', '1', '--db', db])

  const { context, page, problems } = await newPage(env.browser, { width: 1280, height: 800 })
  try {
    await login(page, PULLER)
    await tid(page, 'desk-empty').waitFor()
    assert.match(await tid(page, 'desk-empty').innerText(), /可以从公海领取线索/)
    await tid(page, 'desk-pull').click()
    await tid(page, 'desk-lead').waitFor()
    assert.equal((await tid(page, 'desk-name').innerText()).trim(), '吕五')
    assert.match(await tid(page, 'desk-phone').getAttribute('href'), /^tel:\+8613987654401$/)
    await shot(page, '65-desk-pulled')

    // worked: the desk is empty again; the next pull finds nothing and says so
    await noMessages(page)
    await tid(page, 'outcome-not_interested').click()
    await tid(page, 'desk-empty').waitFor()
    await noMessages(page)
    await tid(page, 'desk-pull').click()
    await page.locator('.el-message--info').filter({ hasText: '公海里暂时没有可领取的线索' }).waitFor()
    assert.equal(await tid(page, 'desk-lead').count(), 0, 'no lead appears')
    await shot(page, '66-desk-pool-empty')
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})
