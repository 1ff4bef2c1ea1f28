// The import's duplicate check against earlier batches (the batches' packed
// blind-index keys, migration 0008): the scope setting, numbers purged for
// good becoming new again, and batches whose keys must be rebuilt from their
// leads (databases from before the keys were kept, or after a re-key).
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { addUser, importLeads, setSettings, sqlite, tempDir, useServer, writeLeadsCsv } from './helpers.mjs'

const dir = tempDir('dialdeck-dups-')
after(() => rmSync(dir, { recursive: true, force: true }))

let next = 70000
function leads(name, n) {
  const f = writeLeadsCsv(dir, `${name}.csv`, n, { from: next })
  next += n
  return f.file
}
const counts = (r) => [r.imported, r.duplicate_existing]

describe('duplicates of earlier batches', () => {
  test('duplicate_scope_days: only batches imported within the last N days count', () => {
    const db = join(dir, 'scope.db')
    const old = leads('old', 5)
    const recent = leads('recent', 4)
    assert.deepEqual(counts(importLeads(db, old)), [5, 0])
    assert.deepEqual(counts(importLeads(db, recent)), [4, 0])
    // The first batch was imported 40 days ago.
    sqlite(db, 'UPDATE batches SET created_at = created_at - 40 * 86400 WHERE id = 1')
    assert.deepEqual(counts(importLeads(db, old)), [0, 5], 'all time (the default)')
    setSettings(db, { duplicate_scope_days: 30 })
    assert.deepEqual(counts(importLeads(db, recent)), [0, 4], 'the recent batch is in the scope')
    // The old batch is not: its numbers come in again (batch 3 took none).
    const again = importLeads(db, old)
    assert.deepEqual(counts(again), [5, 0])
    assert.deepEqual(counts(importLeads(db, old)), [0, 5], 'and now they are in a recent batch')
  })

  describe('after a purge', () => {
    const files = {}
    const srv = useServer({
      setup: (db) => {
        addUser(db, 'boss', 'admin')
        files.a = writeLeadsCsv(dir, 'a.csv', 4, { from: next })
        next += 4
        assert.equal(importLeads(db, files.a.file).imported, 4)
      },
    })

    test('numbers cleared for good are new to the next import; the batch’s others stay duplicates', async () => {
      await srv.ready
      const admin = srv.client.as(await srv.client.login('boss'))
      // The leads of the first two rows of the file (rows 2 and 3).
      const ids = sqlite(srv.db, 'SELECT id FROM leads WHERE source_row IN (2, 3) ORDER BY id').trim().split('\n').map(Number)
      assert.equal(ids.length, 2)
      assert.equal((await admin.post('/api/v1/leads/delete', { body: { lead_ids: ids } })).status, 200)
      const clear = await admin.post('/api/v1/recycle-bin/purge', { body: { lead_ids: ids } })
      assert.equal(clear.status, 200, clear.text)
      assert.deepEqual([clear.body.leads, clear.body.batches], [2, 0], 'the batch keeps its other leads')
      const again = importLeads(srv.db, files.a.file)
      assert.deepEqual(counts(again), [2, 2])
    })
  })

  test('batches without kept keys are rebuilt from their leads', () => {
    const db = join(dir, 'rebuild.db')
    const a = leads('r', 6)
    importLeads(db, a)
    // As a database from before migration 0008 would be.
    sqlite(db, 'DELETE FROM batch_phone_keys; UPDATE batches SET phone_keys_built = 0')
    assert.deepEqual(counts(importLeads(db, a)), [0, 6])
    assert.equal(sqlite(db, 'SELECT phone_keys_built FROM batches WHERE id = 1').trim(), '1')
  })
})
