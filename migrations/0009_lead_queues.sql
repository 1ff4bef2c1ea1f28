-- Dealt leads wait in their agent's queue without touching their own rows:
-- rewriting a million lead rows (and indexing them by owner) took a deal
-- 8 s, while appending to these two narrow tables, each in its own key
-- order, takes a fraction of a second. A queued lead keeps status 'new' and
-- no owner in `leads` until it is first shown on its agent's desk (or an
-- operation that needs its owner there, a delete or the recycling run,
-- materialises it); from then on it is an ordinary owned lead. Whoever removes a lead from a queue removes both rows.
--
-- agent_queue: each agent's queue in desk order. slot = agent_id * 2^32 + n,
-- n counting up per agent, so an agent's queue is one key range.
CREATE TABLE agent_queue (
  slot INTEGER PRIMARY KEY,
  lead_id INTEGER NOT NULL,
  deal_id INTEGER NOT NULL,
  dealt_at INTEGER NOT NULL
);
-- lead_queue: which leads are queued, and where (no foreign keys: a lookup
-- in leads for every appended row would double a deal's writes; the purge
-- removes the queue rows of the leads it deletes).
CREATE TABLE lead_queue (
  lead_id INTEGER PRIMARY KEY,
  slot INTEGER NOT NULL
);
