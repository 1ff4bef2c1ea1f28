// Browser test of deleting and the recycle bin (回收站): an admin deletes a batch's leads from
// 批次, finds them masked in the bin, restores them, deletes the batch again and clears the bin
// for good (the batch is gone); 删除全部线索 waits for the typed confirmation; a manager sees
// the delete actions but no bin; the bin on a phone.
// Starts the real server binary (env DIALDECK_BIN or <repo>/build/dialdeck) on a fresh database.
//
//   npm run e2e            (from web/)
//   node --test web/e2e/   (from the repo root)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { addUser, cli, confirmBox, useServerAndBrowser, newPage, shot, tid, tableRows, noMessages } from './helpers.mjs'

const ADMIN = { username: 'boss', password: 'Admin-pass-123' }
const MANAGER = { username: 'mgr', password: 'Manager-pass-1' }
const BATCH = '国庆楼盘来电'
const OTHER = '老客户回访'
const NAMES = ['张三', '李四', '王五', '赵六', '钱七', '孙八']
const csv = (names, prefix) =>
  ['姓名,电话,楼盘', ...names.map((n, i) => `${n},${prefix}${String(i + 1).padStart(4, '0')},万科城`)].join('\n') + '\n'

const batch = {}

const env = useServerAndBrowser(({ db, tmp }) => {
  addUser(db, ADMIN, 'admin')
  addUser(db, MANAGER, 'manager')
  for (const [name, names, prefix] of [[BATCH, NAMES, '1391234'], [OTHER, NAMES.slice(0, 2), '1501234']]) {
    const file = join(tmp, `${prefix}.csv`)
    writeFileSync(file, csv(names, prefix), 'utf8')
    const r = JSON.parse(cli(['import', file, '--db', db, '--json', '--batch-name', name, '--retention-days', '30']))
    assert.equal(r.imported, names.length, JSON.stringify(r))
    batch[name] = r.batch_id
  }
})

const { login } = env
/** The <input> of an Element Plus field, whether data-test sits on it or around it. */
const field = (page, id) => page.locator(`input[data-test="${id}"], [data-test="${id}"] input`).first()
const binRows = (page) => tableRows(page, 'bin-table')
/** Waits until a batch's live count has loaded (it shows … before). */
const liveCount = (page, id) =>
  page.waitForFunction((sel) => /\d/.test(document.querySelector(sel)?.textContent || ''), `[data-test="batch-live-${id}"]`)

test('admin: delete a batch → recycle bin → restore → delete again → clear for good', async () => {
  const { context, page, problems } = await newPage(env.browser, { width: 1280, height: 800 })
  try {
    await login(page, ADMIN)
    await tid(page, 'menu-batches').click()
    await page.waitForURL(/\/batches$/)
    const id = batch[BATCH]
    await liveCount(page, id)
    assert.equal((await tid(page, `batch-live-${id}`).innerText()).trim(), '6')

    // ---- delete the batch's leads (to the bin) ----
    await tid(page, `batch-delete-${id}`).click()
    const box = page.locator('.el-message-box:visible')
    await box.waitFor()
    assert.match(await box.innerText(), new RegExp(`${BATCH}[\\s\\S]*6`))
    await shot(page, '40-batch-delete-confirm')
    await confirmBox(page)
    await page.locator('.el-message--success', { hasText: '6' }).first().waitFor()
    await tid(page, `batch-bin-${id}`).waitFor()
    assert.equal((await tid(page, `batch-live-${id}`).innerText()).trim(), '0')
    assert.ok(await tid(page, `batch-delete-${id}`).isDisabled(), 'nothing left to delete')
    await shot(page, '41-batches-after-delete')
    await noMessages(page)

    // ---- the bin: masked numbers, batch, who deleted ----
    await tid(page, 'menu-recycleBin').click()
    await page.waitForURL(/\/recycle-bin$/)
    await tid(page, 'recycle-bin-page').waitFor()
    await binRows(page).first().waitFor()
    assert.equal(await binRows(page).count(), 6)
    const text = await tid(page, 'bin-table').innerText()
    assert.match(text, /139\*{4}\d{4}/, 'masked numbers')
    assert.doesNotMatch(text, /1391234\d{4}/, 'no full number')
    assert.match(text, new RegExp(BATCH))
    assert.match(text, /boss/)
    assert.match(await tid(page, 'bin-total').innerText(), /6/)
    await shot(page, '42-recycle-bin')

    // ---- restore two selected, then all ----
    await binRows(page).nth(0).locator('.el-checkbox').click()
    await binRows(page).nth(1).locator('.el-checkbox').click()
    assert.match(await tid(page, 'bin-selected').innerText(), /2/)
    await tid(page, 'bin-restore').click()
    await page.locator('.el-message--success', { hasText: '2' }).first().waitFor()
    await page.waitForFunction(() => document.querySelectorAll('[data-test="bin-table"] .el-table__body-wrapper tbody tr').length === 4)
    await noMessages(page)
    await tid(page, 'bin-restore-all').click()
    await confirmBox(page)
    await page.locator('.el-table__empty-text', { hasText: '回收站是空的' }).waitFor()
    await noMessages(page)

    // ---- back on 批次: all six are held again; delete again ----
    await tid(page, 'menu-batches').click()
    await page.waitForURL(/\/batches$/)
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.trim() === '6', `[data-test="batch-live-${id}"]`)
    await tid(page, `batch-delete-${id}`).click()
    await confirmBox(page)
    await tid(page, `batch-bin-${id}`).waitFor()
    await noMessages(page)

    // ---- clear the bin for good: the batch goes with its leads ----
    await tid(page, 'menu-recycleBin').click()
    await binRows(page).first().waitFor()
    assert.equal(await binRows(page).count(), 6)
    await tid(page, 'bin-purge-all').click()
    const purgeBox = page.locator('.el-message-box:visible')
    await purgeBox.waitFor()
    assert.match(await purgeBox.innerText(), /无法撤销/)
    await shot(page, '43-recycle-bin-purge-confirm')
    await confirmBox(page)
    await page.locator('.el-message--success', { hasText: '6' }).first().waitFor()
    await page.locator('.el-table__empty-text', { hasText: '回收站是空的' }).waitFor()
    await noMessages(page)
    await tid(page, 'menu-batches').click()
    await liveCount(page, batch[OTHER])
    assert.equal(await tid(page, `batch-${id}`).count(), 0, 'the emptied batch is gone')
    assert.equal((await tid(page, `batch-live-${batch[OTHER]}`).innerText()).trim(), '2', 'the other batch is untouched')

    // ---- the other batch's retention, in its drawer ----
    await tid(page, `batch-${batch[OTHER]}`).click()
    await tid(page, 'batch-retention').waitFor()
    assert.match(await tid(page, 'batch-purge-at').innerText(), /自动销毁/)
    await tid(page, 'batch-retention-edit').click()
    await field(page, 'batch-retention-days').fill('0')
    await tid(page, 'batch-retention-save').click()
    await page.locator('.el-message--success').first().waitFor()
    await tid(page, 'batch-retention').locator('text=不设期限').waitFor()
    await shot(page, '44-batch-retention')
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})

test('admin: 删除全部线索 needs the typed phrase; by-date dialog', async () => {
  const { context, page, problems } = await newPage(env.browser, { width: 1280, height: 800 })
  try {
    await login(page, ADMIN)
    await tid(page, 'menu-batches').click()
    await tid(page, 'delete-all').click()
    const dialog = tid(page, 'delete-all-dialog')
    await dialog.waitFor()
    assert.ok(await tid(page, 'delete-all-submit').isDisabled(), 'disabled before typing')
    await field(page, 'delete-all-confirm').fill('删除全部')
    assert.ok(await tid(page, 'delete-all-submit').isDisabled(), 'a wrong phrase keeps it disabled')
    await field(page, 'delete-all-confirm').fill('删除全部线索')
    await shot(page, '45-delete-all-typed')
    assert.ok(await tid(page, 'delete-all-submit').isEnabled())
    await tid(page, 'delete-all-submit').click()
    await page.locator('.el-message--success', { hasText: '2' }).first().waitFor()
    await dialog.waitFor({ state: 'hidden' })
    await tid(page, `batch-bin-${batch[OTHER]}`).waitFor()
    await noMessages(page)

    // By date: the dialog needs a range; today's range finds nothing more to delete.
    await tid(page, 'delete-by-date').click()
    await tid(page, 'delete-by-date-dialog').waitFor()
    assert.ok(await tid(page, 'delete-by-date-submit').isDisabled())
    await shot(page, '46-delete-by-date')
    await page.keyboard.press('Escape')

    // Restore everything again from the bin.
    await tid(page, 'menu-recycleBin').click()
    await binRows(page).first().waitFor()
    await tid(page, 'bin-restore-all').click()
    await confirmBox(page)
    await page.locator('.el-table__empty-text').waitFor()
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }
})

test('manager: deletes batches but has no recycle bin; the bin on a phone', async () => {
  const { context, page, problems } = await newPage(env.browser, { width: 1280, height: 800 })
  try {
    await login(page, MANAGER)
    await tid(page, 'menu-batches').waitFor()
    assert.equal(await tid(page, 'menu-recycleBin').count(), 0, 'no bin in the manager’s menu')
    await page.goto(`${env.base}/recycle-bin`)
    await page.waitForURL(/\/home$/)
    await tid(page, 'menu-batches').click()
    await tid(page, `batch-delete-${batch[OTHER]}`).waitFor()
    assert.equal(await tid(page, 'delete-all').count(), 0, 'only admins delete everything')
    assert.equal(await tid(page, 'delete-by-date').count(), 1)
    assert.deepEqual(problems, [])
  } finally {
    await context.close()
  }

  const phone = await newPage(env.browser, { width: 390, height: 844 }, { isMobile: true, hasTouch: true })
  try {
    await login(phone.page, ADMIN)
    await phone.page.goto(`${env.base}/batches`)
    await tid(phone.page, `batch-delete-${batch[OTHER]}`).click()
    await confirmBox(phone.page)
    await phone.page.goto(`${env.base}/recycle-bin`)
    await binRows(phone.page).first().waitFor()
    await shot(phone.page, '47-phone-recycle-bin')
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 1, `no sideways scrolling (${overflow}px)`)
    assert.deepEqual(phone.problems, [])
  } finally {
    await phone.context.close()
  }
})
