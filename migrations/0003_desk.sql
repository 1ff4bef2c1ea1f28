-- Dealing and the desk: agent levels and weights, deals (with their seed),
-- each lead's place in its agent's queue, and the call log.

CREATE TABLE agent_levels (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  weight REAL NOT NULL DEFAULT 1 CHECK (weight > 0),
  created_at INTEGER NOT NULL
);

ALTER TABLE users ADD COLUMN level_id INTEGER REFERENCES agent_levels(id);
ALTER TABLE users ADD COLUMN weight_override REAL;
ALTER TABLE users ADD COLUMN agent_status TEXT NOT NULL DEFAULT 'active';  -- active | paused

CREATE TABLE deals (
  id INTEGER PRIMARY KEY,
  strategy TEXT NOT NULL,
  seed TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT '{}',    -- JSON: batch_ids / pool
  total INTEGER NOT NULL DEFAULT 0,
  report TEXT NOT NULL DEFAULT '{}',
  created_by INTEGER REFERENCES users(id),
  created_by_name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);

-- Lead states: new (unassigned, in the pool), assigned (queued for owner_id),
-- retry / callback (back at next_call_at), prospect (interested/converted,
-- the agent's own), closed (not interested, wrong number, unreachable, DNC).
ALTER TABLE leads ADD COLUMN deal_id INTEGER REFERENCES deals(id);
ALTER TABLE leads ADD COLUMN queue_pos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN assigned_at INTEGER;
ALTER TABLE leads ADD COLUMN next_call_at INTEGER;
ALTER TABLE leads ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN current_agent_id INTEGER;   -- on that agent's desk now
ALTER TABLE leads ADD COLUMN shown_at INTEGER;
ALTER TABLE leads ADD COLUMN last_outcome TEXT;
ALTER TABLE leads ADD COLUMN pulled INTEGER NOT NULL DEFAULT 0;
-- One index serves the desk (an agent's open leads by state and place);
-- callbacks and retries due are few per agent and filtered on next_call_at.
-- Dealing finds 'new' leads through leads_batch. Fewer indexes keep a deal
-- of a million leads fast.
CREATE INDEX leads_queue ON leads(owner_id, status, queue_pos);
-- The lead on each agent's desk now (at most one per agent).
CREATE INDEX leads_current ON leads(current_agent_id) WHERE current_agent_id IS NOT NULL;

CREATE TABLE call_log (
  id INTEGER PRIMARY KEY,
  lead_id INTEGER NOT NULL REFERENCES leads(id),
  agent_id INTEGER NOT NULL REFERENCES users(id),
  shown_at INTEGER NOT NULL,
  outcome_at INTEGER,
  outcome TEXT,
  note TEXT NOT NULL DEFAULT '',
  callback_at INTEGER,
  request_id TEXT
);
CREATE INDEX call_log_lead ON call_log(lead_id, id);
CREATE INDEX call_log_agent ON call_log(agent_id, shown_at);
CREATE UNIQUE INDEX call_log_request ON call_log(agent_id, request_id);
