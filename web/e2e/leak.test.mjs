// Browser test of the leak controls and the audit viewer: the desk carries a faint watermark
// (the agent's name and the time, redrawn each minute) drawn on a canvas over the lead card;
// the masked desk shows 138****5678, a call button and a 显示号码 button; past the reveal budget the desk locks
// and the manager sees (and acknowledges) the alert on the agents page; the admin searches the
// audit trail by who, what, target and time, and the chain check names a tampered entry.
// Starts the real server binary (env DIALDECK_BIN or <repo>/build/dialdeck) on a fresh database.
//
//   node --test e2e/leak.test.mjs   (from web/)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { addUser, cli, useServerAndBrowser, newPage, shot, tid, noMessages } from './helpers.mjs'

const ADMIN = { username: 'boss', password: 'Admin-pass-123' }
const MANAGER = { username: 'mgr', password: 'Manager-pass-1' }
const A1 = { username: 'a1', display: '张业务', password: 'Agent-pass-123' }
const A2 = { username: 'a2', display: '李业务', password: 'Agent-pass-456' }
const NAMES = ['张三', '李四', '王五', '赵六', '钱七', '孙八', '周九', '吴十']
const csv = (from) =>
  // each lead has a second number in its phone cell (备用号码)
  ['姓名,电话,楼盘', ...NAMES.map((n, i) => `${n},139 8765 ${String(from + i).padStart(4, '0')} / 137 5555 ${String(from + i).padStart(4, '0')},万科城`)].join('\n') + '\n'

let db

const env = useServerAndBrowser(({ db: file, tmp }) => {
  db = file
  addUser(db, ADMIN, 'admin')
  cli(['department', 'add', 'SALES', '--name', '销售一部', '--db', db])
  addUser(db, MANAGER, 'manager', '--department', 'SALES')
  const a1 = JSON.parse(addUser(db, A1, 'agent', '--department', 'SALES', '--display-name', A1.display).trim().split('\n').pop())
  const a2 = JSON.parse(addUser(db, A2, 'agent', '--department', 'SALES', '--display-name', A2.display).trim().split('\n').pop())
  for (const [name, agent, from] of [['一号楼', a1, 1000], ['二号楼', a2, 2000]]) {
    const file = join(tmp, `${agent.username}.csv`)
    writeFileSync(file, csv(from), 'utf8')
    const report = JSON.parse(cli(['import', file, '--db', db, '--json', '--batch-name', name]))
    assert.equal(report.imported, NAMES.length, JSON.stringify(report))
    cli(['deal', '--batch', String(report.batch_id), '--agent', String(agent.id), '--db', db])
  }
  cli(['settings', 'set', 'calling_hours', '00:00-24:00', '--db', db])
})

const { login } = env
// Settings change over HTTP as the admin (the CLI binary may be being rebuilt meanwhile).
let adminSession = null
async function setting(key, value) {
  if (!adminSession) {
    const r = await fetch(`${env.base}/api/v1/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
    })
    assert.equal(r.status, 200)
    adminSession = { cookie: /dd_session=[^;]+/.exec(r.headers.get('set-cookie'))[0], csrf: (await r.json()).csrf_token }
  }
  const r = await fetch(`${env.base}/api/v1/settings/${key}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Cookie: adminSession.cookie, 'X-CSRF-Token': adminSession.csrf },
    body: JSON.stringify({ value: String(value) }),
  })
  assert.equal(r.status, 200, await r.text())
}

/** Pixels of the watermark canvas that are not transparent. */
const inkedPixels = (page) =>
  page.evaluate(() => {
    const c = document.querySelector('[data-test="desk-watermark"]')
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
    let n = 0
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++
    return { n, total: d.length / 4 }
  })

test('the desk carries a faint watermark of the agent and the time, redrawn each minute', async () => {
  const { context, page, problems } = await newPage(env.browser, { width: 1280, height: 800 }, { timezoneId: 'Asia/Shanghai' })
  try {
    await page.clock.install({ time: new Date('2026-11-23T10:00:05+08:00') })
    await login(page, A1)
    await tid(page, 'desk-lead').waitFor()
    const mark = tid(page, 'desk-watermark')
    await mark.waitFor()
    assert.equal(await mark.getAttribute('data-text'), '张业务 a1 2026-11-23 10:00')

    // it covers the whole lead card, is drawn (faintly), lets clicks through and is not text
    const [box, grid] = [await mark.boundingBox(), await tid(page, 'desk-lead').boundingBox()]
    assert.ok(Math.abs(box.width - grid.width) < 2 && Math.abs(box.height - grid.height) < 2, `${JSON.stringify(box)} vs ${JSON.stringify(grid)}`)
    const ink = await inkedPixels(page)
    assert.ok(ink.n > ink.total * 0.01, `the watermark is drawn: ${JSON.stringify(ink)}`)
    assert.ok(ink.n < ink.total * 0.5, `and leaves the card readable: ${JSON.stringify(ink)}`)
    const style = await mark.evaluate((el) => {
      const s = getComputedStyle(el)
      return { pe: s.pointerEvents, us: s.userSelect, z: Number(s.zIndex), tag: el.tagName }
    })
    assert.deepEqual(style, { pe: 'none', us: 'none', z: 5, tag: 'CANVAS' })
    const text = await tid(page, 'desk').evaluate((el) => el.textContent)
    assert.ok(!text.includes('张业务 a1'), 'the watermark is not selectable text')
    await shot(page, 'leak-01-desk-watermark')

    // a minute later the time on the watermark moves on
    await page.clock.fastForward('01:00')
    await page.waitForFunction(() => document.querySelector('[data-test="desk-watermark"]').dataset.text.endsWith('10:01'))

    // the outcome buttons under the watermark still work
    const lead1 = await tid(page, 'desk-lead').getAttribute('data-lead-id')
    await tid(page, 'outcome-no_answer').click()
    await page.waitForFunction((id) => document.querySelector('[data-test="desk-lead"]')?.dataset.leadId !== id, lead1)
    assert.equal(await tid(page, 'desk-watermark').getAttribute('data-text'), '张业务 a1 2026-11-23 10:01')

    // on a phone too
    await page.setViewportSize({ width: 375, height: 740 })
    await page.waitForTimeout(200)
    const small = await inkedPixels(page)
    assert.ok(small.n > small.total * 0.01)
    await shot(page, 'leak-02-phone-desk-watermark')
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})

test('masked mode: 138****5678, a 点击拨打 button that dials and a 显示号码 button that reveals the number', async () => {
  await setting('desk_masked', 1)
  const { context, page, problems } = await newPage(env.browser, { width: 1280, height: 800 })
  try {
    await login(page, A2)
    await tid(page, 'desk-lead').waitFor()
    const masked = tid(page, 'desk-phone-masked')
    await masked.waitFor()
    assert.match((await masked.innerText()).trim(), /^139\*{4}\d{4}$/)
    assert.equal(await tid(page, 'desk-phone').count(), 0, 'no tel: link while masked')
    const html = await tid(page, 'desk').innerHTML()
    assert.doesNotMatch(html, /8765/, 'the hidden digits are nowhere in the page')
    await tid(page, 'desk-watermark').waitFor()
    await shot(page, 'leak-03-desk-masked')

    // the other number is masked too, and not callable
    const alternates = tid(page, 'desk-alternates')
    assert.match(await alternates.innerText(), /137\*{4}20\d\d/)
    assert.equal(await alternates.locator('a').count(), 0)

    await tid(page, 'desk-unmask').click()
    const phone = tid(page, 'desk-phone')
    await phone.waitFor()
    assert.match(await phone.getAttribute('href'), /^tel:\+86139876520\d\d$/)
    assert.match((await phone.innerText()).trim(), /^139 8765 20\d\d$/)
    // unmasking reveals the other number with it
    assert.match(await alternates.locator('a').getAttribute('href'), /^tel:\+86137555520\d\d$/)
    await shot(page, 'leak-04-desk-unmasked')

    // the next lead is masked again
    const lead1 = await tid(page, 'desk-lead').getAttribute('data-lead-id')
    await tid(page, 'outcome-not_interested').click()
    await page.waitForFunction((id) => document.querySelector('[data-test="desk-lead"]')?.dataset.leadId !== id, lead1)
    await tid(page, 'desk-phone-masked').waitFor()
    assert.equal(await tid(page, 'desk-phone').count(), 0)

    // 点击拨打 on the masked desk reveals the number (one more unmask) and dials it
    await page.evaluate(() => {
      document.addEventListener('click', (e) => {
        const href = e.target?.getAttribute?.('href') || ''
        if (href.startsWith('tel:')) {
          window.__dialled = href
          e.preventDefault() // no phone application in the test browser
        }
      }, true)
    })
    await tid(page, 'desk-call-masked').click()
    await phone.waitFor()
    const dialled = await page.waitForFunction(() => window.__dialled).then((h) => h.jsonValue())
    assert.equal(dialled, await phone.getAttribute('href'), 'the call button dials the number it reveals')
    assert.match(dialled, /^tel:\+86139876520\d\d$/)
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
    await setting('desk_masked', 0)
  }
})

test('past the reveal budget the desk locks and the manager acknowledges the alert', async () => {
  await setting('reveal_budget_per_hour', 2) // a2 has seen two leads already
  const agent = await newPage(env.browser, { width: 1280, height: 800 })
  try {
    await login(agent.page, A2)
    await tid(agent.page, 'desk-lead').waitFor()
    await tid(agent.page, 'outcome-busy').click()
    const locked = tid(agent.page, 'desk-locked')
    await locked.waitFor()
    assert.match(await locked.innerText(), /工作台已锁定/)
    assert.match(await locked.innerText(), /已提交的通话结果已保存/)
    assert.equal(await tid(agent.page, 'desk-lead').count(), 0)
    await noMessages(agent.page)
    await shot(agent.page, 'leak-05-desk-locked')
    assert.deepEqual(agent.problems, [])
  } finally {
    await agent.context.close()
  }

  const { context, page, problems } = await newPage(env.browser, { width: 1280, height: 800 })
  try {
    await login(page, MANAGER)
    await tid(page, 'menu-agents').click()
    await tid(page, 'alerts-panel').waitFor()
    const item = page.locator('[data-test^="alert-"][data-kind="reveal_budget"]')
    await item.waitFor()
    assert.match(await item.innerText(), /李业务/)
    assert.match(await item.innerText(), /查看超限/)
    assert.equal((await tid(page, 'alerts-open-count').innerText()).trim(), '1')
    await shot(page, 'leak-06-agents-alert')
    await item.locator('button').click()
    await tid(page, 'alerts-none').waitFor()
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
    await setting('reveal_budget_per_hour', 150)
  }
})

test('a manager exports a batch from its page: a watermarked xlsx download', async () => {
  const { context, page, problems } = await newPage(env.browser, { width: 1280, height: 800 }, { acceptDownloads: true })
  try {
    await login(page, MANAGER)
    await tid(page, 'menu-batches').click()
    await tid(page, 'batches-page').waitFor()
    await page.getByText('二号楼').first().click()
    const button = tid(page, 'batch-export')
    await button.waitFor()
    await shot(page, 'leak-07-batch-export')
    const [dl] = await Promise.all([page.waitForEvent('download'), button.click()])
    assert.match(dl.suggestedFilename(), /^batch-\d+-export\.xlsx$/)
    const file = await dl.path()
    const xml = execFileSync(
      'python3',
      ['-c', 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(z.read("xl/worksheets/sheet1.xml").decode())', file],
      { encoding: 'utf8' },
    )
    assert.match(xml, /由 mgr 于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00 导出/, 'the watermark row names the manager')
    assert.match(xml, /139 8765 20\d\d/, 'the leads of his agent')
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})

test('admin searches the audit trail and the chain check names a tampered entry', async () => {
  const { context, page, problems } = await newPage(env.browser, { width: 1400, height: 900 })
  const queries = []
  page.on('request', (r) => {
    const u = new URL(r.url())
    if (u.pathname === '/api/v1/audit') queries.push(Object.fromEntries(u.searchParams))
  })
  try {
    await login(page, ADMIN)
    await tid(page, 'menu-audit').click()
    await tid(page, 'audit-page').waitFor()
    await page.locator('[data-test="audit-table"] .el-table__row').first().waitFor()

    const field = (id) => page.locator(`input[data-test="${id}"], [data-test="${id}"] input`).first()
    const column = (id) => page.locator(`[data-test="audit-table"] [data-test="${id}"]`).allInnerTexts()
    const search = async (fill) => {
      for (const [id, v] of Object.entries(fill)) await field(id).fill(v)
      const n = queries.length
      await tid(page, 'audit-search').click()
      while (queries.length === n) await page.waitForTimeout(50)
      await page.waitForTimeout(300)
    }

    // who
    await search({ 'audit-filter-actor': 'a2' })
    let actors = await column('audit-actor')
    assert.ok(actors.length > 0)
    assert.ok(actors.every((a) => a === 'a2'), actors.join(','))
    // what (a prefix)
    await search({ 'audit-filter-action': 'lead.unmask' })
    assert.deepEqual([...new Set(await column('audit-action'))], ['lead.unmask'])
    assert.equal(queries.at(-1).actor, 'a2')
    // a click on a target searches for it
    const target = (await column('audit-target'))[0]
    assert.match(target, /^lead:\d+$/)
    await search({ 'audit-filter-actor': '', 'audit-filter-action': '' })
    await page.locator('[data-test="audit-target"]').filter({ hasText: new RegExp(`^${target}$`) }).first().click()
    while (queries.at(-1).target !== target) await page.waitForTimeout(50)
    await page.waitForTimeout(300)
    assert.deepEqual([...new Set(await column('audit-target'))], [target])
    assert.ok((await column('audit-action')).includes('lead.reveal'), 'its reveal')
    assert.ok((await column('audit-action')).includes('lead.unmask'), 'and its unmask')
    await shot(page, 'leak-08-audit-target')

    // a time range in the past finds nothing; the whole day finds the reveals
    await tid(page, 'audit-reset').click()
    await field('audit-filter-action').fill('lead.reveal')
    const range = page.locator('.el-range-editor .el-range-input')
    await range.nth(0).fill('2020-01-01 00:00')
    await range.nth(1).fill('2020-01-02 00:00')
    await range.nth(1).press('Enter')
    await page.keyboard.press('Escape')
    const n = queries.length
    await tid(page, 'audit-search').click()
    while (queries.length === n) await page.waitForTimeout(50)
    const q = queries.at(-1)
    assert.equal(q.action, 'lead.reveal')
    assert.ok(q.from && q.to, JSON.stringify(q))
    assert.ok(Date.parse(q.from) < Date.parse(q.to))
    assert.equal(new Date(q.from).getUTCFullYear(), 2020)
    await page.locator('[data-test="audit-table"] .el-table__empty-text').waitFor()
    await shot(page, 'leak-09-audit-range')

    // verify: intact, then a row edited behind the app's back is named
    await tid(page, 'audit-reset').click()
    await tid(page, 'audit-verify').click()
    const result = tid(page, 'audit-verify-result')
    await result.waitFor()
    assert.equal(await result.getAttribute('data-ok'), 'true')
    assert.match(await result.innerText(), /日志链完整/)

    const victim = Number(execFileSync('sqlite3', [db, "SELECT id FROM audit_log WHERE action = 'lead.reveal' ORDER BY id LIMIT 1"], { encoding: 'utf8' }).trim())
    execFileSync('sqlite3', [db, `UPDATE audit_log SET actor = 'someone' WHERE id = ${victim}`])
    await tid(page, 'audit-verify').click()
    await page.waitForFunction(() => document.querySelector('[data-test="audit-verify-result"]')?.dataset.ok === 'false')
    assert.match(await result.innerText(), new RegExp(`日志链已断开.*${victim}|${victim}`))
    assert.match(await tid(page, 'audit-verify-problem').innerText(), /被修改/)
    await tid(page, 'audit-show-broken').click()
    await page.waitForFunction(
      (id) => document.querySelector('[data-test="audit-table"] .el-table__row td')?.textContent.trim() === String(id),
      victim,
    )
    assert.equal((await column('audit-actor'))[0], 'someone')
    await shot(page, 'leak-10-audit-broken')
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})
