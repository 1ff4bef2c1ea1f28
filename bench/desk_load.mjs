// Desk load (run by bench/run): N agents post outcomes concurrently over
// HTTP keep-alive, each answering its current lead and getting the next in
// the same response. Prints outcomes/s and p50/p99 latency.
//   node bench/desk_load.mjs BASE_URL AGENT_PREFIX N SECONDS PASSWORD [PACE_MS]
// Without PACE_MS every agent posts again as soon as it has its answer (a
// closed loop: the server's ceiling, where by Little's law the mean latency
// is N / throughput). With PACE_MS each agent waits a random 0..2×PACE_MS
// between outcomes, as people on the phone do (an offered load of about
// N / PACE_MS per second), and the latencies are what they would see.
const [base, prefix, nArg, secondsArg, password, paceArg] = process.argv.slice(2)
const n = Number(nArg)
const seconds = Number(secondsArg)
const pace = Number(paceArg || 0)

async function login(username) {
  const r = await fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${await r.text()}`)
  const cookie = /dd_session=[^;]+/.exec(r.headers.get('set-cookie'))[0]
  const { csrf_token } = await r.json()
  return { cookie, csrf: csrf_token }
}

const sessions = []
for (let i = 0; i < n; i += 8) {
  const batch = []
  for (let k = i; k < Math.min(n, i + 8); k++) batch.push(login(`${prefix}${k}`))
  sessions.push(...(await Promise.all(batch)))
}

const latencies = []
let outcomes = 0
let errors = 0
const deadline = Date.now() + seconds * 1000
let seq = 0

async function agent(s) {
  let r = await fetch(`${base}/api/v1/desk`, { headers: { Cookie: s.cookie } })
  let desk = await r.json()
  while (Date.now() < deadline && desk.lead) {
    if (pace > 0) {
      await new Promise((ok) => setTimeout(ok, Math.random() * 2 * pace))
      if (Date.now() >= deadline) break
    }
    const t0 = process.hrtime.bigint()
    r = await fetch(`${base}/api/v1/desk/outcome`, {
      method: 'POST',
      headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify({ lead_id: desk.lead.id, outcome: 'not_interested', note: '', request_id: `b${seq++}` }),
    })
    const body = await r.json()
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6)
    if (r.status !== 200) {
      errors++
      break
    }
    outcomes++
    desk = body
  }
}

const started = Date.now()
await Promise.all(sessions.map(agent))
const elapsed = (Date.now() - started) / 1000
latencies.sort((a, b) => a - b)
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? 0
console.log(JSON.stringify({
  agents: n, seconds: Number(elapsed.toFixed(2)), outcomes, errors,
  outcomes_per_s: Math.round(outcomes / elapsed), p50_ms: Number(pct(50).toFixed(2)), p99_ms: Number(pct(99).toFixed(2)),
}))
