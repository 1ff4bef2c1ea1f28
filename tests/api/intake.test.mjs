// Lead intake over HTTP: upload, preview, the five buckets, dry run, refused
// files (nothing stored), atomicity under kill -9, burn after upload (also of
// a committed CSV and xlsx import), DNC, batches, rejects download, agents
// kept out, and the batch retention taken from the settings.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, randomInt } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import {
  addUser, assertProblem, cli, cliOk, HAS_SQLITE3, setSettings, sqlite, startServer, tempDir, useServer, writeLeadsCsv,
} from './helpers.mjs'

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
after(() => rmSync(tmp, { recursive: true, force: true }))

const upload = (...args) => uploadTo(srv.base, ...args)

async function uploadTo(base, session, path, file, fields = {}, name = 'leads.csv') {
  const fd = new FormData()
  fd.append('file', new Blob([file]), name)
  for (const [k, v] of Object.entries(fields)) fd.append(k, v)
  const res = await fetch(base + path, {
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

// Every regular file under the roots (links, sockets and pipes skipped, as
// are unreadable files and files over 200 MB) that holds any of the needles
// ({label, bytes}): [{file, needle: label}]. A root with `since` (ms) only looks at files modified
// since then (shared temp folders, where other programs keep their files).
function filesHolding(roots, needles) {
  const seen = new Set()
  const hits = []
  const walk = (d, since) => {
    let entries = []
    try {
      entries = readdirSync(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p, since)
      else if (e.isFile() && !seen.has(p)) {
        seen.add(p)
        let bytes
        try {
          const st = lstatSync(p)
          if (st.size > 200 * 1024 * 1024 || st.mtimeMs < since) continue
          bytes = readFileSync(p)
        } catch {
          continue
        }
        for (const n of needles) if (bytes.includes(n.bytes)) hits.push({ file: p, needle: n.label })
      }
    }
  }
  // Roots without `since` first, so a private folder inside a shared one is searched whole.
  for (const r of [...roots].sort((a, b) => (a.since ?? 0) - (b.since ?? 0))) {
    if (r.dir) walk(resolve(r.dir), r.since ?? 0)
  }
  return hits
}

// The files under `dir` that hold `needle` (a string).
const filesContaining = (dir, needle) =>
  filesHolding([{ dir }], [{ label: needle, bytes: Buffer.from(needle, 'utf8') }]).map((h) => h.file)

// Random valid mobile numbers (11 digits), so no other test's file holds them.
const randomMobiles = (n) =>
  Array.from({ length: n }, (_, i) => ['135', '136', '137', '158', '159'][i % 5] + String(randomInt(1e8)).padStart(8, '0'))

// The forms of a number that must not be left on disk, as needles.
const phoneForms = (p) =>
  [p, `+86${p}`, `${p.slice(0, 3)} ${p.slice(3, 7)} ${p.slice(7)}`].map((f) => ({ label: f, bytes: Buffer.from(f, 'utf8') }))

// A minimal xlsx (inline strings, deflated) built by Python's zipfile in
// memory: {bytes, sheet: [start, end) of the sheet's compressed data}.
function makeXlsx(rows) {
  const py = `
import base64, io, json, sys, zipfile
rows = json.loads(sys.argv[1])
esc = lambda s: s.replace('&', '&amp;').replace('<', '&lt;')
col = lambda i: chr(65 + i)
sheet = ''.join('<row r="%d">%s</row>' % (r + 1, ''.join(
    '<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>' % (col(c), r + 1, esc(v)) for c, v in enumerate(row)))
    for r, row in enumerate(rows))
parts = {
 '[Content_Types].xml': '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
 '_rels/.rels': '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
 'xl/workbook.xml': '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>',
 'xl/_rels/workbook.xml.rels': '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
 'xl/worksheets/sheet1.xml': '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + sheet + '</sheetData></worksheet>',
}
buf = io.BytesIO()
with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
    for name, text in parts.items():
        z.writestr(name, text.encode('utf-8'))
data = buf.getvalue()
info = zipfile.ZipFile(io.BytesIO(data)).getinfo('xl/worksheets/sheet1.xml')
h = info.header_offset
start = h + 30 + int.from_bytes(data[h + 26:h + 28], 'little') + int.from_bytes(data[h + 28:h + 30], 'little')
print(json.dumps({'b64': base64.b64encode(data).decode(), 'sheet': [start, start + info.compress_size]}))
`
  const r = spawnSync('python3', ['-c', py, JSON.stringify(rows)], { encoding: 'utf8' })
  if (r.status !== 0) return null
  const j = JSON.parse(r.stdout)
  return { bytes: Buffer.from(j.b64, 'base64'), sheet: j.sheet }
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

  // The same promise for a real import: once the batch is stored, neither
  // the uploaded file nor any of its numbers (as written, +86..., or spaced)
  // is left in a file under the data folder or a temp folder the server
  // could use ($TMPDIR, the system temp folder, /dev/shm).
  test('burn after a committed upload (CSV and xlsx): no copy of the file or its numbers on disk', async (t) => {
    const started = Date.now() - 2000 // mtime granularity
    const boss = await srv.client.login('boss')
    const token = randomBytes(12).toString('hex')

    const csvPhones = randomMobiles(5)
    const csv = ['电话,姓名,备注', ...csvPhones.map((p, i) => `${p},燃烧客户${i},${token}-${i}`)].join('\r\n') + '\r\n'
    const csvBytes = Buffer.from(csv, 'utf8')
    // A run of the file that no stored form of a lead holds: a row's tail and the next row's head.
    const csvChunk = Buffer.from(`燃烧客户1,${token}-1\r\n${csvPhones[2]},燃烧客户2`, 'utf8')
    assert.ok(csvBytes.includes(csvChunk))
    const r = await upload(boss, '/api/v1/imports', csvBytes, { batch_name: '燃烧CSV' }, 'burn.csv')
    assert.equal(r.status, 200, r.text)
    assert.ok(r.body.batch_id > 0, 'a real import, not a dry run')
    assert.equal(r.body.imported, 5, r.text)

    const needles = [{ label: 'a run of the uploaded CSV', bytes: csvChunk }, ...csvPhones.flatMap(phoneForms)]
    const xlsxPhones = randomMobiles(5)
    const xlsx = makeXlsx([['电话', '姓名', '备注'], ...xlsxPhones.map((p, i) => [p, `燃烧表格${i}`, `${token}-x${i}`])])
    if (xlsx) {
      const x = await upload(boss, '/api/v1/imports', xlsx.bytes, { batch_name: '燃烧XLSX' }, 'burn.xlsx')
      assert.equal(x.status, 200, x.text)
      assert.ok(x.body.batch_id > 0)
      assert.equal(x.body.imported, 5, x.text)
      const [from, to] = xlsx.sheet
      const mid = Math.floor((from + to) / 2)
      needles.push({ label: 'a run of the uploaded xlsx', bytes: xlsx.bytes.subarray(Math.max(from, mid - 32), Math.min(to, mid + 32)) })
      needles.push(...xlsxPhones.flatMap(phoneForms))
    } else {
      t.diagnostic('python3 could not build an xlsx: only the CSV was checked')
    }

    const roots = [
      { dir: srv.dir }, // the data folder: the database, its WAL and key
      { dir: tmp }, // the server's own $TMPDIR
      { dir: tmpdir(), since: started },
      { dir: process.env.TMPDIR, since: started },
      { dir: '/dev/shm', since: started },
    ]
    const hits = filesHolding(roots, needles)
    assert.deepEqual(hits, [], 'files still holding the upload or its numbers')
  })
})

describe('retention from settings', () => {
  // An owner who sets default_retention_days expects every new batch to be
  // kept that long (定时自焚) unless the import says otherwise.
  test('default_retention_days gives new batches (HTTP and CLI) that retention; an explicit value wins', async () => {
    const s = await startServer({
      setup: (db) => {
        addUser(db, 'boss', 'admin')
        setSettings(db, { default_retention_days: 5 })
      },
    })
    try {
      const boss = await s.client.login('boss')
      const api = s.client.as(boss)
      const retentionOf = async (batchId) => {
        const one = await api.get(`/api/v1/batches/${batchId}`)
        assert.equal(one.status, 200, one.text)
        const listed = (await api.get('/api/v1/batches')).body.items.find((b) => b.id === batchId)
        assert.ok(listed, `batch ${batchId} is listed`)
        assert.equal(listed.retention_days, one.body.retention_days, 'the list and the batch agree')
        return one.body.retention_days
      }
      const csv = (name, from) => readFileSync(writeLeadsCsv(s.dir, name, 3, { from }).file)

      const plain = await uploadTo(s.base, boss, '/api/v1/imports', csv('r1.csv', 7100), { batch_name: '默认保留' }, 'r1.csv')
      assert.equal(plain.status, 200, plain.text)
      assert.equal(plain.body.imported, 3)
      assert.equal(await retentionOf(plain.body.batch_id), 5, 'an HTTP import without retention_days takes the setting')

      const own = await uploadTo(s.base, boss, '/api/v1/imports', csv('r2.csv', 7200), { retention_days: '2' }, 'r2.csv')
      assert.equal(own.status, 200, own.text)
      assert.equal(await retentionOf(own.body.batch_id), 2, 'an explicit retention_days wins over the setting')

      const file = writeLeadsCsv(s.dir, 'r3.csv', 3, { from: 7300 }).file
      const viaCli = JSON.parse(cliOk(['import', file, '--json'], { db: s.db }).stdout.trim().split('\n').pop())
      assert.equal(viaCli.imported, 3)
      assert.equal(await retentionOf(viaCli.batch_id), 5, 'a CLI import without --retention-days takes the setting')

      // The setting is read at each import: back to 0 (keep), new batches are kept.
      const off = await api.put('/api/v1/settings/default_retention_days', { body: { value: 0 } })
      assert.equal(off.status, 200, off.text)
      const kept = await uploadTo(s.base, boss, '/api/v1/imports', csv('r4.csv', 7400), {}, 'r4.csv')
      assert.equal(kept.status, 200, kept.text)
      assert.equal(await retentionOf(kept.body.batch_id), null, 'with the setting at 0 a new batch is kept')
      assert.equal(await retentionOf(plain.body.batch_id), 5, 'batches imported before keep their retention')
    } finally {
      await s.stop()
      s.cleanup()
    }
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
