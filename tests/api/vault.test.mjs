// Encryption at rest: with the default (encryption on) no imported number is
// in the database file's bytes in any form, the key file is private and
// needed, `rotate-key` re-encrypts, and `--no-encryption` at creation stores
// numbers as given.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { addUser, cli, cliOk, importLeads, startServer, tempDir, writeLeadsCsv } from './helpers.mjs'

const dir = tempDir('dialdeck-vault-')
after(() => rmSync(dir, { recursive: true, force: true }))

// The database's bytes, WAL included (a reader of a copied file gets both).
function dbBytes(db) {
  const parts = [readFileSync(db)]
  if (existsSync(`${db}-wal`)) parts.push(readFileSync(`${db}-wal`))
  return Buffer.concat(parts)
}

// Every form a number takes: E.164, national digits, display.
function forms(national) {
  return [`+86${national}`, national, `${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`]
}

function leadFile(name, from) {
  // Numbers in messy forms, an alternate and an extra column that is a number too.
  const rows = ['电话,姓名,备用电话']
  const nationals = []
  for (let i = 0; i < 20; i++) {
    const n = `139${String(52000000 + from + i).padStart(8, '0')}`
    nationals.push(n)
  }
  nationals.forEach((n, i) => rows.push(`"${n.slice(0, 3)}-${n.slice(3, 7)}-${n.slice(7)}",客户${i},${n}`))
  const alt = `137${String(61000000 + from).padStart(8, '0')}`
  rows.push(`"13${String(777000000 + from).slice(0, 9)} / ${alt}",双号客户,`)
  nationals.push(`13${String(777000000 + from).slice(0, 9)}`, alt)
  const file = join(dir, name)
  writeFileSync(file, rows.join('\n') + '\n')
  return { file, nationals }
}

describe('encryption at rest', () => {
  test('no imported number is in the database bytes; the key file is private and required', () => {
    const db = join(dir, 'enc.db')
    const { file, nationals } = leadFile('enc.csv', 0)
    const rep = importLeads(db, file)
    assert.equal(rep.imported, 21)
    const key = `${db}.key`
    assert.ok(existsSync(key), 'a key file is created beside the database')
    assert.equal(statSync(key).mode & 0o777, 0o600)
    // The do-not-call list is sealed too.
    const bytes = dbBytes(db)
    for (const n of nationals) {
      for (const f of forms(n)) assert.equal(bytes.indexOf(Buffer.from(f)), -1, `${f} found in the database file`)
    }
    // Duplicates are still found (through the blind index).
    const again = importLeads(db, file)
    assert.equal(again.duplicate_existing, 21)
    assert.equal(again.imported, 0)

    // Without its key the database does not open (and says why).
    const moved = `${key}.bak`
    writeFileSync(moved, readFileSync(key), { mode: 0o600 })
    rmSync(key)
    const r = cli(['settings', 'list'], { db })
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, /key file .* is missing/)
    writeFileSync(key, readFileSync(moved), { mode: 0o600 })
    // A key file others can read is refused.
    cli(['migrate'], { db })
    chmodSync(key, 0o644)
    const loose = cli(['migrate'], { db })
    assert.notEqual(loose.status, 0)
    assert.match(loose.stderr, /chmod 600/)
    chmodSync(key, 0o600)
    cliOk(['migrate'], { db })
  })

  test('commands started together on a new database agree on its migrations and its key', async () => {
    const db = join(dir, 'race.db')
    const { BIN } = await import('./helpers.mjs')
    const { spawn } = await import('node:child_process')
    const runs = Array.from({ length: 6 }, () => new Promise((resolve) => {
      const p = spawn(BIN, ['settings', 'list', '--db', db], { stdio: ['ignore', 'ignore', 'pipe'] })
      let err = ''
      p.stderr.on('data', (d) => { err += d })
      p.on('exit', (code) => resolve({ code, err }))
    }))
    for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.err)
    const { file } = leadFile('race.csv', 400)
    assert.equal(importLeads(db, file).imported, 21)
  })

  test('--no-encryption at creation stores numbers as given (the control for the test above)', () => {
    const db = join(dir, 'plain.db')
    const { file, nationals } = leadFile('plain.csv', 100)
    const rep = JSON.parse(cliOk(['import', file, '--json', '--no-encryption'], { db }).stdout.trim().split('\n').pop())
    assert.equal(rep.imported, 21)
    assert.ok(!existsSync(`${db}.key`), 'no key file without encryption')
    const bytes = dbBytes(db)
    assert.notEqual(bytes.indexOf(Buffer.from(`+86${nationals[0]}`)), -1)
    // The choice is made once: later commands keep the mode.
    assert.equal(importLeads(db, file).duplicate_existing, 21)
  })

  test('DIALDECK_KEY gives the key instead of a file; a wrong key is refused', () => {
    const db = join(dir, 'env.db')
    const env = { DIALDECK_KEY: 'ab'.repeat(32) }
    const { file } = leadFile('env.csv', 200)
    const rep = JSON.parse(cliOk(['import', file, '--json'], { db, env }).stdout.trim().split('\n').pop())
    assert.equal(rep.imported, 21)
    assert.ok(!existsSync(`${db}.key`))
    const wrong = cli(['settings', 'list'], { db, env: { DIALDECK_KEY: 'cd'.repeat(32) } })
    assert.notEqual(wrong.status, 0)
    assert.match(wrong.stderr, /does not match this database/)
    const bad = cli(['settings', 'list'], { db, env: { DIALDECK_KEY: 'xyz' } })
    assert.notEqual(bad.status, 0)
    assert.match(bad.stderr, /64 hexadecimal/)
  })

  test('rotate-key re-encrypts under a new key; the desk still shows the number, the old key no longer opens', async () => {
    const db = join(dir, 'rot.db')
    const { file, nationals } = leadFile('rot.csv', 300)
    const rep = importLeads(db, file)
    addUser(db, 'boss', 'admin')
    addUser(db, 'rot1', 'agent')
    cliOk(['settings', 'set', 'calling_hours', '00:00-24:00'], { db })
    cliOk(['deal', '--batch', String(rep.batch_id), '--json'], { db })
    const oldKey = readFileSync(`${db}.key`, 'utf8').trim()
    const out = JSON.parse(cliOk(['rotate-key', '--json'], { db }).stdout.trim().split('\n').pop())
    assert.equal(out.leads, 21)
    const newKey = readFileSync(`${db}.key`, 'utf8').trim()
    assert.notEqual(newKey, oldKey)
    assert.equal(statSync(`${db}.key`).mode & 0o777, 0o600)
    const stale = cli(['settings', 'list'], { db, env: { DIALDECK_KEY: oldKey } })
    assert.notEqual(stale.status, 0)

    // A rotation stopped after its commit, before the key file was renamed:
    // the old key is still in place and the new one beside it. The next
    // start completes the rename.
    writeFileSync(`${db}.key.new`, `${newKey}\n`, { mode: 0o600 })
    writeFileSync(`${db}.key`, `${oldKey}\n`, { mode: 0o600 })
    cliOk(['migrate'], { db })
    assert.equal(readFileSync(`${db}.key`, 'utf8').trim(), newKey)
    assert.ok(!existsSync(`${db}.key.new`))

    const srv = await startServer({ db })
    try {
      const agent = await srv.client.login('rot1')
      const desk = await srv.client.as(agent).get('/api/v1/desk')
      assert.equal(desk.status, 200, desk.text)
      assert.ok(desk.body.lead, 'the agent has a lead')
      assert.ok(nationals.map((n) => `+86${n}`).includes(desk.body.lead.phone), desk.body.lead.phone)
    } finally {
      await srv.stop()
    }
    const bytes = dbBytes(db)
    for (const n of nationals) assert.equal(bytes.indexOf(Buffer.from(n)), -1)
  })
})
