// 11. Graceful shutdown: SIGTERM with idle keep-alive connections open ends
// the process with exit code 0 within a few seconds.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { addUser, startServer } from './helpers.mjs'

function get(agent, port, path) {
  return new Promise((ok, fail) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body }))
    })
    req.on('error', fail)
  })
}

function rawConnect(port) {
  return new Promise((ok, fail) => {
    const s = net.connect(port, '127.0.0.1', () => ok(s))
    s.on('error', fail)
  })
}

test('SIGTERM with idle keep-alive connections: exit 0 within a few seconds', { timeout: 30_000 }, async () => {
  const srv = await startServer({ setup: (db) => addUser(db, 'boss', 'admin') })
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
  const sockets = []
  try {
    // Four keep-alive connections, each idle after one answer.
    const answers = await Promise.all([1, 2, 3, 4].map(() => get(agent, srv.port, '/healthz')))
    for (const a of answers) {
      assert.equal(a.status, 200)
      assert.notEqual(a.headers.connection, 'close', 'the server keeps the connection open')
    }
    // A raw connection that completed one request and stays open.
    const used = await rawConnect(srv.port)
    sockets.push(used)
    await new Promise((ok) => {
      used.once('data', ok)
      used.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    })
    // A raw connection that never sent anything.
    sockets.push(await rawConnect(srv.port))
    // Another that sent half a request line.
    const half = await rawConnect(srv.port)
    half.write('GET /heal')
    sockets.push(half)
    for (const s of sockets) s.on('error', () => {})

    const { code, signal, ms } = await srv.stop(10_000)
    assert.equal(signal, null, `killed by ${signal}\n${srv.log()}`)
    assert.equal(code, 0, `exit code ${code}\n${srv.log()}`)
    assert.ok(ms < 5000, `exited after ${ms} ms`)

    // The port is closed now.
    await assert.rejects(rawConnect(srv.port))
  } finally {
    agent.destroy()
    for (const s of sockets) s.destroy()
    if (!srv.exit) await srv.stop().catch(() => {})
    srv.cleanup()
  }
})

test('SIGTERM while idle with no connections: exit 0 quickly', { timeout: 30_000 }, async () => {
  const srv = await startServer({ setup: (db) => addUser(db, 'boss', 'admin') })
  try {
    const { code, ms } = await srv.stop(10_000)
    assert.equal(code, 0, srv.log())
    assert.ok(ms < 3000, `exited after ${ms} ms`)
  } finally {
    srv.cleanup()
  }
})

test('SIGTERM during a slow in-flight request: the answer is still delivered, then exit 0', { timeout: 30_000 }, async () => {
  const srv = await startServer({ setup: (db) => addUser(db, 'boss', 'admin') })
  try {
    const fail = () => srv.client.request('POST', '/api/v1/session', { body: { username: 'boss', password: 'wrong-password' } })
    // After 4 failures the server delays failed answers (250 ms more each time).
    for (let i = 0; i < 6; i++) assert.equal((await fail()).status, 401)
    const started = Date.now()
    const inflight = fail()
    await new Promise((r) => setTimeout(r, 150))
    const stopping = srv.stop(10_000)
    const r = await inflight
    assert.equal(r.status, 401, 'the in-flight request got its answer')
    assert.equal(r.body.code, 'invalid_credentials')
    assert.ok(Date.now() - started >= 500, 'it really was delayed')
    const { code } = await stopping
    assert.equal(code, 0, srv.log())
  } finally {
    if (!srv.exit) await srv.stop().catch(() => {})
    srv.cleanup()
  }
})
