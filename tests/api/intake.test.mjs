// Lead intake over HTTP: upload, preview, the five buckets, dry run, refused
// files (nothing stored), atomicity under kill -9, burn after upload, DNC,
// batches, rejects download, and agents kept out.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { addUser, assertProblem, cli, HAS_SQLITE3, sqlite, startServer, tempDir, useServer } from './helpers.mjs'

const TITLE = '2026年11月 楼盘客户名单'
const CSV = [
  TITLE,
  '序号,楼盘,姓名,电话,区域,备注',
  '1,万科城,张三,13812345678,深圳,VIP',
  '2,万科城,李四,+86 139 1234 5678,广州,',
  '3,碧桂园,王五,13812345678,深圳,重复',
  '4,碧桂园,赵六,12345,北京,',
  '',
  '5,恒大,钱七,0755-12345678转801,深圳,座机',
  '6,恒大,孙八,1.38123E+10,上海,',
  '7,,周九,"13711112222/13822223333（微信同号）",杭州,',
  '8,保利,吴十,13600001111,成都,',
].join('\r\n')

let tmp
const srv = useServer({
  setup: (db) => {
    addUser(db, 'boss', 'admin')
    addUser(db, 'mgr', 'manager')
    addUser(db, 'agent1', 'agent')
  },
  env: { TMPDIR: (tmp = tempDir('dialdeck-tmp-')) },
})

async function upload(session, path, file, fields = {}, name = 'leads.csv') {
  const fd = new FormData()
  fd.append('file', new Blob([file]), name)
  for (const [k, v] of Object.entries(fields)) fd.append(k, v)
  const res = await fetch(srv.base + path, {
    method: 'POST',
    body: fd,
    headers: { Cookie: session.cookie, 'X-CSRF-Token': session.csrf },
  })
  const text = await res.text()
  let body = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: res.status, headers: res.headers, body, text, res }
}

function filesContaining(dir, needle) {
  const hits = []
  const walk = (d) => {
    let entries = []
    try {
      entries = readdirSync(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile()) {
        try {
          if (readFileSync(p).includes(needle)) hits.push(p)
        } catch {}
      }
    }
  }
  walk(dir)
  return hits
}

describe('intake', () => {
  test('preview finds the header below the title and suggests the mapping', async () => {
    const boss = await srv.client.login('boss')
    const r = await upload(boss, '/api/v1/imports/preview', CSV)
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.format, 'csv')
    assert.equal(r.body.header_row, 2)
    const role = (h) => r.body.columns.find((c) => c.header === h)?.role
    assert.equal(role('电话'), 'phone')
    assert.equal(role('姓名'), 'name')
    assert.equal(role('区域'), 'area')
    assert.equal(role('楼盘'), 'attribute')
    assert.equal(r.body.rows[0][2], '张三')
  })

  test('dry run reports every bucket and stores nothing', async () => {
    const mgr = await srv.client.login('mgr')
    const r = await upload(mgr, '/api/v1/imports', CSV, { dry_run: 'true', batch_name: '试运行' })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.body.batch_id, null)
    assert.equal(r.body.rows, 8)
    assert.equal(r.body.imported + r.body.invalid + r.body.duplicate_in_file + r.body.duplicate_existing + r.body.dnc, 8)
    const batches = await srv.client.as(mgr).get('/api/v1/batches')
    assert.deepEqual(batches.body.items, [])
  })

  test('import puts each row in exactly one bucket, keeps extra columns, and is listed as a batch', async () => {
    const boss = await srv.client.login('boss')
    const dnc = await srv.client.as(boss).post('/api/v1/dnc', { body: { phone: '136-0000-1111', note: '客户投诉' } })
    assert.equal(dnc.status, 201, dnc.text)
    assert.equal(dnc.body.phone, '+8613600001111')
    const r = await upload(boss, '/api/v1/imports', CSV, { batch_name: '十一月楼盘', quality: 'A', source: '展会', consent_note: '客户书面同意' })
    assert.equal(r.status, 200, r.text)
    const b = r.body
    assert.ok(b.batch_id > 0)
    assert.deepEqual(
      { rows: b.rows, imported: b.imported, invalid: b.invalid, dup_file: b.duplicate_in_file, dup_existing: b.duplicate_existing, dnc: b.dnc },
      { rows: 8, imported: 4, invalid: 2, dup_file: 1, dup_existing: 0, dnc: 1 },
    )
    assert.deepEqual(b.invalid_reasons, { excel_float: 1, too_short: 1 })
    assert.ok(b.samples.some((s) => s.bucket === 'duplicate_in_file' && s.phone === '138****5678' && s.row === 5))
    assert.match(b.rejects_url, /\/api\/v1\/batches\/\d+\/rejects\.xlsx$/)

    const list = await srv.client.as(boss).get('/api/v1/batches')
    assert.equal(list.body.items.length, 1)
    assert.equal(list.body.items[0].name, '十一月楼盘')
    assert.equal(list.body.items[0].quality, 'A')
    assert.equal(list.body.items[0].imported, 4)
    const one = await srv.client.as(boss).get(`/api/v1/batches/${b.batch_id}`)
    assert.equal(one.body.report.rows, 8)
    assert.equal(one.body.consent_note, '客户书面同意')

    if (HAS_SQLITE3) {
      // Encrypted at rest (the default): the number, the alternates and the
      // extra columns are sealed together, as one value in the phone column
      // (the other two columns stay empty); names stay searchable.
      const leads = sqlite(srv.db, "SELECT hex(phone) || '|' || name || '|' || hex(attributes) || '|' || alternates || '|' || extension || '|' || typeof(phone) FROM leads ORDER BY id")
      assert.match(leads, /^01[0-9A-F]+\|张三\|\|\|\|blob$/m)
      assert.match(leads, /\|钱七\|.*\|801\|blob$/m)
      const raw = sqlite(srv.db, "SELECT phone || attributes || alternates FROM leads")
      for (const n of ['13812345678', '75512345678', '13711112222', '13822223333', '万科城']) {
        assert.ok(!raw.includes(n), `${n} is stored in clear`)
      }
    }

    // The same file again: everything valid is now a duplicate of existing data.
    const again = await upload(boss, '/api/v1/imports', CSV)
    assert.equal(again.body.imported, 0)
    assert.equal(again.body.duplicate_existing, 4)

    // The rejected rows download: a real xlsx, no full phone number in it.
    const x = await fetch(srv.base + b.rejects_url, { headers: { Cookie: boss.cookie } })
    assert.equal(x.status, 200)
    assert.match(x.headers.get('content-type'), /spreadsheetml/)
    const bytes = Buffer.from(await x.arrayBuffer())
    assert.equal(bytes.subarray(0, 2).toString(), 'PK')
  })

  test('refused files store nothing and say why', async () => {
    const boss = await srv.client.login('boss')
    const before = (await srv.client.as(boss).get('/api/v1/batches')).body.items.length
    const cases = [
      ['png.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), 'file_not_spreadsheet'],
      ['broken.xlsx', Buffer.from('PK\x03\x04 this is not really a zip file at all'), 'file_corrupt'],
      ['nophone.csv', '姓名,地址\n张三,深圳\n李四,广州\n', 'no_phone_column'],
    ]
    for (const [name, data, code] of cases) {
      const r = await upload(boss, '/api/v1/imports', data, {}, name)
      assertProblem({ ...r, res: r.res }, 400, code)
    }
    const after = (await srv.client.as(boss).get('/api/v1/batches')).body.items.length
    assert.equal(after, before)
  })

  test('agents cannot import, list batches or touch the DNC list', async () => {
    const agent = await srv.client.login('agent1')
    assertProblem(await upload(agent, '/api/v1/imports', CSV), 403, 'forbidden')
    assertProblem(await upload(agent, '/api/v1/imports/preview', CSV), 403, 'forbidden')
    assertProblem(await srv.client.as(agent).get('/api/v1/batches'), 403, 'forbidden')
    assertProblem(await srv.client.as(agent).get('/api/v1/dnc'), 403, 'forbidden')
  })

  test('DNC: add, refuse duplicates and bad numbers, list, remove', async () => {
    const boss = await srv.client.login('boss')
    const api = srv.client.as(boss)
    assertProblem(await api.post('/api/v1/dnc', { body: { phone: '12345' } }), 400, 'invalid_phone')
    const a = await api.post('/api/v1/dnc', { body: { phone: '+86 158 0000 2222' } })
    assert.equal(a.status, 201)
    assertProblem(await api.post('/api/v1/dnc', { body: { phone: '15800002222' } }), 409, 'dnc_exists')
    // Numbers are sealed at rest: a search finds a whole number (any format).
    const list = await api.get('/api/v1/dnc?q=' + encodeURIComponent('158-0000-2222'))
    assert.equal(list.body.items.length, 1)
    assert.equal(list.body.items[0].phone_display, '158 0000 2222')
    assert.equal(list.body.items[0].phone, '+8615800002222')
    assert.equal((await api.delete(`/api/v1/dnc/${a.body.id}`)).status, 204)
    assert.equal((await api.get('/api/v1/dnc?q=15800002222')).body.items.length, 0)
    const imp = await upload(boss, '/api/v1/dnc/import', '13900001111\n13900002222\nfoo\n13900001111\n', {}, 'dnc.csv')
    assert.equal(imp.status, 200, imp.text)
    assert.deepEqual(imp.body, { rows: 4, added: 2, already: 1, invalid: 1 })
  })

  test('burn after upload: no copy of the file or its numbers under the data or temp folder', async () => {
    const boss = await srv.client.login('boss')
    const marker = '13599887766'
    const csv = `电话,姓名\n${marker},燃烧测试\n`
    const r = await upload(boss, '/api/v1/imports/preview', csv)
    assert.equal(r.status, 200)
    const r2 = await upload(boss, '/api/v1/imports', csv, { dry_run: 'true' })
    assert.equal(r2.status, 200)
    assert.deepEqual(filesContaining(tmp, marker), [])
    assert.deepEqual(filesContaining(srv.dir, '燃烧测试'), [])
    assert.deepEqual(filesContaining('/dev/shm', marker), [])
  })
})

describe('intake atomicity', () => {
  test('a server killed during an import holds the whole batch or none of it', async () => {
    const dir = tempDir()
    try {
      const db = join(dir, 'a.db')
      addUser(db, 'boss', 'admin')
      const rows = ['电话,姓名']
      for (let i = 0; i < 300000; i++) rows.push(`13${String(100000000 + i * 7).padStart(9, '0')},客户${i}`)
      const big = rows.join('\n')
      const s = await startServer({ db })
      try {
        const boss = await s.client.login('boss')
        const fd = new FormData()
        fd.append('file', new Blob([big]), 'big.csv')
        const pending = fetch(s.base + '/api/v1/imports', {
          method: 'POST', body: fd, headers: { Cookie: boss.cookie, 'X-CSRF-Token': boss.csrf },
        }).catch((e) => e)
        await new Promise((ok) => setTimeout(ok, 700))
        s.proc.kill('SIGKILL')
        await pending
      } finally {
        await s.stop().catch(() => {})
      }
      if (HAS_SQLITE3) {
        const batches = Number(sqlite(db, 'SELECT COUNT(*) FROM batches').trim())
        const leads = Number(sqlite(db, 'SELECT COUNT(*) FROM leads').trim())
        assert.ok((batches === 0 && leads === 0) || (batches === 1 && leads === 300000), `batches=${batches} leads=${leads}`)
      }
      // The database is still healthy afterwards.
      const again = await startServer({ db })
      try {
        const r = await again.client.request('GET', '/healthz')
        assert.equal(r.status, 200)
      } finally {
        await again.stop()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('CLI: --json contract, refused file exits non-zero with nothing stored, --shred-source removes the file', async () => {
    const dir = tempDir()
    try {
      const db = join(dir, 'c.db')
      const file = join(dir, '名单.csv')
      mkdirSync(dir, { recursive: true })
      const { writeFileSync, existsSync } = await import('node:fs')
      writeFileSync(file, CSV)
      const r = cli(['import', file, '--json', '--batch-name', 'CLI 批次', '--quality', 'C'], { db })
      assert.equal(r.status, 0, r.stderr)
      const j = JSON.parse(r.stdout)
      for (const k of ['batch_id', 'rows', 'imported', 'invalid', 'duplicate_in_file', 'duplicate_existing', 'dnc']) {
        assert.equal(typeof j[k], 'number', k)
      }
      assert.equal(j.rows, 8)
      const bad = join(dir, 'bad.xlsx')
      writeFileSync(bad, 'PK\x03\x04garbage')
      const r2 = cli(['import', bad, '--json'], { db })
      assert.notEqual(r2.status, 0)
      assert.ok(r2.stderr.length > 0)
      if (HAS_SQLITE3) assert.equal(sqlite(db, 'SELECT COUNT(*) FROM batches').trim(), '1')
      const r3 = cli(['import', file, '--shred-source', '--json'], { db })
      assert.equal(r3.status, 0, r3.stderr)
      assert.equal(existsSync(file), false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
