// The other numbers of a lead's phone cell (备用号码) on the desk: shown with
// the lead, formatted for dialling, and masked like the number in masked mode.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { addUser, cliOk, importLeads, setSettings, tempDir, useServer } from './helpers.mjs'

const dir = tempDir('dialdeck-alts-')
after(() => rmSync(dir, { recursive: true, force: true }))

describe('alternate numbers on the desk', () => {
  const srv = useServer({
    setup: (db) => {
      addUser(db, 'boss', 'admin')
      addUser(db, 'alt1', 'agent')
      setSettings(db, { calling_hours: '00:00-24:00' })
      const file = join(dir, 'alts.csv')
      writeFileSync(file, '电话,姓名\n"138 1234 5678 / 139-1234-5678（微信同号）",王五\n')
      assert.equal(importLeads(db, file).imported, 1)
      cliOk(['deal', '--batch', '1'], { db })
    },
  })

  test('the lead carries its other numbers; masked mode masks them too', async () => {
    await srv.ready
    const agent = srv.client.as(await srv.client.login('alt1'))
    const r = await agent.get('/api/v1/desk')
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.lead.phone, '+8613812345678')
    assert.deepEqual(r.body.lead.alternates, [{ phone: '+8613912345678', phone_display: '139 1234 5678' }])

    setSettings(srv.db, { desk_masked: 1 })
    const m = await agent.get('/api/v1/desk')
    assert.equal(m.status, 200, m.text)
    assert.deepEqual(m.body.lead.alternates, [{ phone: null, phone_display: '139****5678' }])
    assert.ok(!m.text.includes('12345678'), 'no number in clear in the masked answer')

    // 显示号码 reveals the other numbers with the main one, for one count
    setSettings(srv.db, { unmask_budget_per_day: 1 })
    const u = await agent.post('/api/v1/desk/unmask', { body: { lead_id: m.body.lead.id } })
    assert.equal(u.status, 200, u.text)
    assert.equal(u.body.phone, '+8613812345678')
    assert.deepEqual(u.body.alternates, [{ phone: '+8613912345678', phone_display: '139 1234 5678' }])
    assert.equal(u.body.unmask_left, 0)
  })
})
