// WAL checkpoints run on the server's background thread: a large import
// over HTTP returns once committed, and shortly after the database file
// itself (not only its WAL) holds the new leads; the WAL does not grow
// without bound while the server keeps writing.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { addUser, sqlite, tempDir, useServer, writeLeadsCsv } from './helpers.mjs'

const dir = tempDir('dialdeck-ckpt-')
after(() => rmSync(dir, { recursive: true, force: true }))

// The leads in the database file alone, read from a copy without its WAL;
// -1 when the copy was torn by a checkpoint writing the file meanwhile.
function leadsInFile(db) {
  const copy = join(dir, `copy-${Date.now()}.db`)
  copyFileSync(db, copy)
  let n = -1
  try {
    n = Number(sqlite(copy, 'SELECT count(*) FROM leads').trim())
  } catch {}  // torn: not yet
  rmSync(copy, { force: true })
  rmSync(`${copy}-wal`, { force: true })
  rmSync(`${copy}-shm`, { force: true })
  return n
}

describe('background checkpoints', () => {
  const srv = useServer({ setup: (db) => addUser(db, 'boss', 'admin') })

  test('after a large import the database file itself holds the leads, and the WAL stays bounded', async () => {
    await srv.ready
    const boss = await srv.client.login('boss')
    let next = 200000
    const sizes = []
    for (let round = 0; round < 3; round++) {
      const { file } = writeLeadsCsv(dir, `big${round}.csv`, 20000, { from: next, extra: { 楼盘: '万科城' } })
      next += 20000
      const fd = new FormData()
      fd.append('file', new Blob([readFileSync(file)]), 'big.csv')
      const res = await fetch(`${srv.base}/api/v1/imports`, {
        method: 'POST', body: fd, headers: { Cookie: boss.cookie, 'X-CSRF-Token': boss.csrf },
      })
      const body = await res.json()
      assert.equal(res.status, 200, JSON.stringify(body))
      assert.equal(body.imported, 20000)
      // The checkpoint follows the commit within a few seconds.
      let inFile = 0
      for (let i = 0; i < 100 && inFile < 20000 * (round + 1); i++) {
        await sleep(100)
        inFile = leadsInFile(srv.db)
      }
      assert.equal(inFile, 20000 * (round + 1), 'the database file holds every committed lead')
      sizes.push(statSync(`${srv.db}-wal`).size)
    }
    // The WAL is rewound once checkpointed: three imports do not triple it.
    assert.ok(sizes[2] < sizes[0] * 2, `WAL sizes ${sizes.join(', ')}`)
  })
})
