-- The numbers a batch holds, for the import's duplicate check, kept as
-- packed arrays of the vault's blind-index keys (little-endian int64, one
-- row per chunk) instead of an index on leads.phone_key: an index took a
-- random B-tree insert for every imported row (a quarter of a million-row
-- import's time), while the check itself only ever loads the whole set.
-- Written in one piece at the end of each import; rebuilt from the leads
-- after a purge or a re-key (phone_keys_built = 0 marks a batch to rebuild).
DROP INDEX leads_phone_key;
CREATE TABLE batch_phone_keys (
  id INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
  keys BLOB NOT NULL
);
CREATE INDEX batch_phone_keys_batch ON batch_phone_keys(batch_id);
ALTER TABLE batches ADD COLUMN phone_keys_built INTEGER NOT NULL DEFAULT 0;
