-- Lead lifecycle: the recycle bin. Deleting a lead keeps its row with status
-- 'deleted' (so the desk, dealing and pulls skip it) and remembers who
-- deleted it, when, and its status before, until an admin restores it or
-- clears it for good. Retention per batch is batches.retention_days (0002;
-- NULL or 0 = keep).

ALTER TABLE leads ADD COLUMN deleted_at INTEGER;
ALTER TABLE leads ADD COLUMN deleted_by INTEGER REFERENCES users(id);  -- NULL: the CLI or the system
ALTER TABLE leads ADD COLUMN deleted_by_name TEXT;
ALTER TABLE leads ADD COLUMN status_before_delete TEXT;
-- The bin, newest first.
CREATE INDEX leads_deleted ON leads(deleted_at, id) WHERE deleted_at IS NOT NULL;
