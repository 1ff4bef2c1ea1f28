-- The public pool (公海) and recycling (src/modules/pool): a lead an agent
-- holds goes back to the pool when it is not followed up or not converted in
-- time (rules in settings), unless a manager locked it or it was won.

ALTER TABLE leads ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;  -- exempt from recycling
ALTER TABLE leads ADD COLUMN locked_at INTEGER;
ALTER TABLE leads ADD COLUMN locked_by_name TEXT;
-- The owner's last outcome since the lead was dealt or pulled (the follow-up
-- countdown restarts there); cleared when the lead changes hands.
ALTER TABLE leads ADD COLUMN followed_at INTEGER;
-- Set by the recycling run to the time the lead will be recycled, when that
-- is within pool_warn_days (the owner has been warned); cleared by a
-- follow-up, a lock, the recycling, or the next run when no longer due.
ALTER TABLE leads ADD COLUMN recycle_due_at INTEGER;
-- The last time the lead was recycled to the pool (NULL: never).
ALTER TABLE leads ADD COLUMN recycled_at INTEGER;
-- The (few) leads marked by the warning run, soonest first.
CREATE INDEX leads_recycle_due ON leads(recycle_due_at) WHERE recycle_due_at IS NOT NULL;

-- Every recycling of a lead: whose it was (the cooldown keeps that agent
-- from taking it back for pool_cooldown_days, and dealing prefers others),
-- why and when. Goes with its lead when the lead is purged.
CREATE TABLE pool_recycles (
  id INTEGER PRIMARY KEY,
  lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  agent_id INTEGER NOT NULL,
  reason TEXT NOT NULL,       -- follow_up | convert
  status TEXT NOT NULL,       -- the lead's status when it was recycled
  at INTEGER NOT NULL
);
CREATE INDEX pool_recycles_lead ON pool_recycles(lead_id, agent_id, at);
CREATE INDEX pool_recycles_at ON pool_recycles(at);

-- Every lead an agent took from the pool (the daily claim cap counts these
-- per China day). Kept when the lead is recycled, dealt or purged: a claim
-- made today counts today.
CREATE TABLE pool_claims (
  id INTEGER PRIMARY KEY,
  agent_id INTEGER NOT NULL,
  lead_id INTEGER NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX pool_claims_agent ON pool_claims(agent_id, at);
INSERT INTO pool_claims (agent_id, lead_id, at)
  SELECT owner_id, id, assigned_at FROM leads
  WHERE pulled = 1 AND owner_id IS NOT NULL AND assigned_at IS NOT NULL;
