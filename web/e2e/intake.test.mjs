// Browser test of the intake pages: 导入线索 (preview, mapping, dry run, import, report),
// 批次 (list and stored report) and 免打扰名单 (add, search, remove, import a file).
// Starts the real server binary (env DIALDECK_BIN or <repo>/build/dialdeck) on a fresh database.
//
//   npm run e2e            (from web/)
//   node --test web/e2e/   (from the repo root)
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SHOTS, cli, startServer, launchBrowser, newPage, shot, tid, login as loginAt, noMessages } from './helpers.mjs'

const ADMIN = { username: 'boss', password: 'Admin-pass-123' }
const AGENT = { username: 'agent7', password: 'Agent-pass-123' }
const MANAGER = { username: 'zhuguan', password: 'Manager-pass-1' }

// A lead list as people really send it: a title row above the header, a +86 number with
// spaces, a duplicate, a number that is too short, a row without a number, an empty row.
// 11 data rows (the empty row is not a row: the server skips blank rows).
const CSV_NAME = '楼盘客户名单-2026-11.csv'
const BATCH_NAME = '楼盘客户名单-2026-11'
const CSV = [
  '2026年11月 楼盘客户名单,,,,',
  '序号,楼盘,姓名,电话,区域',
  '1,万科城,张三,13812345678,深圳',
  '2,万科城,李四,13912345678,深圳',
  '3,碧桂园,王五,+86 137 1234 5678,广州',
  '4,碧桂园,赵六,13812345678,广州', // duplicate of row 3 (张三)
  '5,保利,钱七,12345,佛山', // invalid
  ',,,,', // empty row
  '6,保利,孙八,15012345678,佛山',
  '7,华润,周九,15112345678,东莞',
  '8,华润,吴十,15212345678,东莞',
  '9,招商,郑十一,18612345678,珠海',
  '10,招商,冯十二,18712345678,珠海', // put on the do-not-call list first
  '11,万达,陈十三,,中山', // no number
].join('\r\n') + '\r\n'
const DNC_NUMBER = '187 1234 5678'
const DNC_CSV = ['电话,备注', '13600000001,投诉', '13600000002,', 'abc,', ''].join('\n')

let server
let base
let browser
let files

before(async () => {
  server = await startServer(({ db }) => {
    cli(['user', 'add', ADMIN.username, '--role', 'admin', '--password-stdin', '--db', db], `${ADMIN.password}\n`)
    cli(['user', 'add', AGENT.username, '--role', 'agent', '--password-stdin', '--db', db], `${AGENT.password}\n`)
    cli(['user', 'add', MANAGER.username, '--role', 'manager', '--password-stdin', '--db', db], `${MANAGER.password}\n`)
  })
  base = server.base
  browser = await launchBrowser()
  files = mkdtempSync(join(tmpdir(), 'dialdeck-e2e-files-'))
  writeFileSync(join(files, CSV_NAME), CSV, 'utf8')
  writeFileSync(join(files, 'dnc.csv'), DNC_CSV, 'utf8')
})

after(async () => {
  await browser?.close().catch(() => {})
  await server?.stop()
  if (files) rmSync(files, { recursive: true, force: true })
  assert.ok(!files || !existsSync(join(files, CSV_NAME)), 'the temp CSV is gone')
})

const login = (page, user) => loginAt(page, base, user)
/** The <input>/<textarea> of an Element Plus field, whether data-test sits on it or around it. */
const field = (page, id) =>
  page.locator(
    `input[data-test="${id}"], textarea[data-test="${id}"], [data-test="${id}"] input, [data-test="${id}"] textarea`,
  ).first()
const num = async (page, id) => Number((await tid(page, id).locator('.num').innerText()).replace(/[^\d]/g, ''))

async function report(page) {
  const r = {}
  for (const k of ['rows', 'imported', 'invalid', 'duplicate_in_file', 'duplicate_existing', 'dnc']) r[k] = await num(page, `report-${k}`)
  return r
}

test('admin: do-not-call list, import with preview and dry run, report, batches', async () => {
  const { context, page, problems } = await newPage(browser, { width: 1280, height: 800 })
  try {
    await login(page, ADMIN)
    for (const id of ['menu-import', 'menu-batches', 'menu-dnc']) await tid(page, id).waitFor()

    // ---- 免打扰名单: add a number that is in the file, see it, a second add is refused ----
    await tid(page, 'menu-dnc').click()
    await page.waitForURL(/\/dnc$/)
    await tid(page, 'dnc-page').waitFor()
    await tid(page, 'dnc-add').click()
    await tid(page, 'dnc-add-dialog').waitFor()
    await field(page, 'dnc-phone').fill(DNC_NUMBER)
    await field(page, 'dnc-note').fill('客户要求不再来电')
    await shot(page, '20-dnc-add-dialog')
    await tid(page, 'dnc-add-submit').click()
    await tid(page, 'dnc-add-dialog').waitFor({ state: 'hidden' })
    const dncRow = page.locator('.el-table__body tr', { hasText: '客户要求不再来电' })
    await dncRow.waitFor()
    assert.match(await dncRow.innerText(), /187\s*1234\s*5678/)
    await noMessages(page)
    await tid(page, 'dnc-add').click()
    await field(page, 'dnc-phone').fill('18712345678')
    await tid(page, 'dnc-add-submit').click()
    const exists = page.locator('.el-message--error').first()
    await exists.waitFor()
    assert.match(await exists.innerText(), /[\u4e00-\u9fff]/, 'a Chinese detail for dnc_exists')
    await page.keyboard.press('Escape')
    await tid(page, 'dnc-add-dialog').waitFor({ state: 'hidden' })
    // search by number
    await field(page, 'dnc-search').fill('18712345678')
    await tid(page, 'dnc-search-submit').click()
    await page.waitForTimeout(300)
    assert.equal(await page.locator('[data-test="dnc-table"] .el-table__body tr').count(), 1)
    await shot(page, '21-dnc-list')

    // ---- 导入线索: choose the file -> preview ----
    await tid(page, 'menu-import').click()
    await page.waitForURL(/\/import$/)
    await tid(page, 'import-drop').waitFor()
    await shot(page, '22-import-choose')
    await tid(page, 'import-file').setInputFiles(join(files, CSV_NAME))
    await tid(page, 'import-preview').waitFor()
    // the header was found below the title row; 电话 is suggested as the phone column
    assert.equal(await field(page, 'header-row').inputValue(), '2')
    const phoneCol = page.locator('[data-test^="col-header-"]', { hasText: /^电话$/ })
    const phoneIndex = (await phoneCol.getAttribute('data-test')).replace('col-header-', '')
    assert.equal(await tid(page, `role-${phoneIndex}`).getAttribute('data-role'), 'phone', '电话 is the phone column')
    assert.match(await tid(page, `role-${phoneIndex}`).innerText(), /电话/)
    const nameCol = page.locator('[data-test^="col-header-"]', { hasText: /^姓名$/ })
    const nameIndex = (await nameCol.getAttribute('data-test')).replace('col-header-', '')
    assert.equal(await tid(page, `role-${nameIndex}`).getAttribute('data-role'), 'name')
    // the preview shows data rows, not the title or the header
    const previewText = await tid(page, 'preview-table').innerText()
    assert.match(previewText, /13812345678/)
    assert.doesNotMatch(previewText, /楼盘客户名单/)
    // batch name defaults to the file name without extension; quality defaults to 良 (B)
    assert.equal(await field(page, 'batch-name').inputValue(), BATCH_NAME)
    assert.ok(await field(page, 'quality-B').isChecked(), 'quality B by default')
    await field(page, 'batch-source').fill('售楼处来访登记')
    await field(page, 'batch-consent').fill('客户来访时书面同意接听回访电话')
    await tid(page, 'quality-A').click()
    await field(page, 'batch-retention').fill('90')
    await tid(page, 'dry-run').click()
    await shot(page, '23b-import-preview-form')
    await page.locator('.el-main').evaluate((e) => (e.scrollTop = 0))
    await shot(page, '23-import-preview')
    await page.setViewportSize({ width: 375, height: 740 })
    await shot(page, '23c-phone-import-preview')
    await page.setViewportSize({ width: 1280, height: 800 })

    // ---- dry run: a report, nothing saved ----
    await tid(page, 'import-start').click()
    // step 3 (upload and processing progress) may be over before we look: best effort
    if (await tid(page, 'import-running').waitFor({ timeout: 1_000 }).then(() => true, () => false)) {
      await page.screenshot({ path: join(SHOTS, '23d-import-running.png') }).catch(() => {})
    }
    await tid(page, 'import-report').waitFor({ timeout: 60_000 })
    await tid(page, 'report-dry-run').waitFor()
    const dry = await report(page)
    assert.equal(dry.rows, 11, `rows of the file: ${JSON.stringify(dry)}`)
    assert.equal(dry.imported + dry.invalid + dry.duplicate_in_file + dry.duplicate_existing + dry.dnc, dry.rows)
    assert.equal(await tid(page, 'report-batch-link').count(), 0, 'no batch on a dry run')
    await shot(page, '24-import-dry-run-report')

    // ---- the real import, from the dry-run report ----
    await tid(page, 'import-for-real').click()
    await page.waitForFunction(() => !document.querySelector('[data-test="report-dry-run"]') && document.querySelector('[data-test="report-batch-link"]'), null, { timeout: 60_000 })
    const r = await report(page)
    assert.equal(r.rows, 11, `rows: ${JSON.stringify(r)}`)
    assert.equal(r.imported + r.invalid + r.duplicate_in_file + r.duplicate_existing + r.dnc, r.rows, 'the buckets add up')
    assert.equal(r.imported, 7, `imported: ${JSON.stringify(r)}`)
    assert.equal(r.duplicate_in_file, 1, `duplicate in file: ${JSON.stringify(r)}`)
    assert.equal(r.duplicate_existing, 0)
    assert.equal(r.dnc, 1, `the do-not-call number: ${JSON.stringify(r)}`)
    assert.equal(r.invalid, 2, `12345 and the row without a number: ${JSON.stringify(r)}`)
    assert.deepEqual({ ...dry }, { ...r }, 'the dry run predicted the import')
    // the reasons add up to the invalid rows and are translated
    const reasons = tid(page, 'report-reasons').locator('li')
    let reasonSum = 0
    for (const li of await reasons.all()) {
      const text = await li.innerText()
      reasonSum += Number(/(\d+)\s*行/.exec(text)?.[1] || 0)
      assert.match(text, /[\u4e00-\u9fff]{2}/, `reason in Chinese: ${text}`)
    }
    assert.equal(reasonSum, r.invalid)
    // sample rows: masked phones, row numbers of the file
    const samples = await tid(page, 'report-samples').innerText()
    assert.match(samples, /文件内重复/)
    assert.doesNotMatch(samples, /13812345678/, 'phones are masked in the samples')
    await shot(page, '25-import-report')
    // the rejected rows download (valid 24 h)
    if ((await tid(page, 'report-rejects').count()) > 0) {
      const [dl] = await Promise.all([page.waitForEvent('download'), tid(page, 'report-rejects').click()])
      assert.match(dl.suggestedFilename(), /\.xlsx$/)
      const path = await dl.path()
      assert.ok(path, 'the download arrived')
    }
    // phone width: the report still fits
    await page.setViewportSize({ width: 375, height: 740 })
    await shot(page, '26-phone-import-report')
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`)
    await page.setViewportSize({ width: 1280, height: 800 })

    // ---- the batch link opens the stored report ----
    await tid(page, 'report-batch-link').click()
    await page.waitForURL(/\/batches\/\d+$/)
    const drawer = tid(page, 'batch-drawer')
    await drawer.getByText(BATCH_NAME).first().waitFor()
    await drawer.locator('[data-test="report-imported"]').waitFor()
    assert.equal(Number((await drawer.locator('[data-test="report-imported"] .num').innerText()).replace(/\D/g, '')), r.imported)
    assert.match(await tid(page, 'batch-detail').innerText(), /售楼处来访登记/)
    await shot(page, '27-batch-detail')
    await page.keyboard.press('Escape')
    await page.waitForURL(/\/batches$/)

    // ---- 批次 list ----
    await tid(page, 'menu-batches').click()
    const batchRow = page.locator('[data-test="batches-table"] .el-table__body tr', { hasText: BATCH_NAME })
    await batchRow.first().waitFor()
    assert.equal(await batchRow.count(), 1, 'the dry run made no batch')
    const rowText = await batchRow.innerText()
    assert.match(rowText, /优/)
    assert.match(rowText, /\b11\b/)
    await shot(page, '28-batches')

    // ---- 免打扰名单: remove the number again, import a list ----
    await tid(page, 'menu-dnc').click()
    await page.waitForURL(/\/dnc$/)
    const row2 = page.locator('[data-test="dnc-table"] .el-table__body tr', { hasText: '客户要求不再来电' })
    await row2.waitFor()
    await row2.locator('[data-test^="dnc-remove-"]').click()
    await page.locator('.el-message-box').getByRole('button', { name: '移除' }).click()
    await row2.waitFor({ state: 'detached' })
    await tid(page, 'dnc-import').click()
    await tid(page, 'dnc-import-dialog').waitFor()
    await tid(page, 'dnc-import-file').setInputFiles(join(files, 'dnc.csv'))
    await tid(page, 'dnc-import-submit').click()
    await tid(page, 'dnc-import-result').waitFor()
    const added = Number(await tid(page, 'dnc-result-added').locator('.num').innerText())
    assert.equal(added, 2, 'two numbers added from the file')
    await shot(page, '29-dnc-import')
    await page.keyboard.press('Escape')
    await page.locator('[data-test="dnc-table"] .el-table__body tr', { hasText: /136\s*0000\s*0001/ }).waitFor()

    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})

test('a file that is not a spreadsheet is refused with the server detail', async () => {
  const { context, page, problems } = await newPage(browser, { width: 1280, height: 800 })
  try {
    const bad = join(files, '不是表格.csv')
    writeFileSync(bad, Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x50, 0x4b]))
    await login(page, ADMIN)
    await page.goto(`${base}/import`)
    await tid(page, 'import-file').setInputFiles(bad)
    const err = tid(page, 'preview-error')
    await err.waitFor()
    assert.match(await err.innerText(), /[\u4e00-\u9fff]/)
    await shot(page, '30-import-refused')
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})

test('managers see the intake pages, agents do not', async () => {
  const { context, page, problems } = await newPage(browser, { width: 1280, height: 800 })
  try {
    await login(page, MANAGER)
    for (const id of ['menu-import', 'menu-batches', 'menu-dnc']) await tid(page, id).waitFor()
    await tid(page, 'menu-batches').click()
    await tid(page, 'batches-table').waitFor()
    await tid(page, 'logout').click()
    await page.waitForURL(/\/login/)

    await login(page, AGENT)
    await tid(page, 'menu-desk').waitFor()
    for (const id of ['menu-import', 'menu-batches', 'menu-dnc']) assert.equal(await tid(page, id).count(), 0, id)
    for (const path of ['/import', '/batches', '/batches/1', '/dnc']) {
      await page.goto(`${base}${path}`)
      await page.waitForURL(/\/desk$/)
    }
    const r = await page.evaluate(() => fetch('/api/v1/batches').then((x) => x.status))
    assert.equal(r, 403, 'the API refuses agents too')
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})
