-- Leak controls: alerts for managers (reveal budget, fast outcomes, unmask
-- budget), the masked desk's unmask log (daily budget), and indexes for the
-- audit viewer's searches (who, what target, when).

-- One row per alert; raised inside the desk's write transaction, so an alert
-- exists exactly when its cause was committed. Acknowledged by a manager or
-- an admin (who and when are kept).
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,                      -- reveal_budget | fast_outcomes | unmask_budget
  agent_id INTEGER NOT NULL REFERENCES users(id),
  detail TEXT NOT NULL DEFAULT '{}',       -- JSON, depends on kind
  created_at INTEGER NOT NULL,
  acknowledged_by INTEGER REFERENCES users(id),
  acknowledged_by_name TEXT,
  acknowledged_at INTEGER
);
CREATE INDEX alerts_agent ON alerts(agent_id, kind, created_at);

-- Every unmask of a number on the masked desk; the daily budget counts
-- distinct leads per agent and China day.
CREATE TABLE desk_unmasks (
  id INTEGER PRIMARY KEY,
  agent_id INTEGER NOT NULL REFERENCES users(id),
  lead_id INTEGER NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX desk_unmasks_agent ON desk_unmasks(agent_id, at);

-- The audit viewer searches by actor, target and time.
CREATE INDEX audit_log_actor ON audit_log(actor, id);
CREATE INDEX audit_log_target ON audit_log(target, id);
CREATE INDEX audit_log_at ON audit_log(at);
