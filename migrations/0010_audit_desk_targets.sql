-- The desk's reveals and outcomes (two audit entries per outcome, thousands
-- a second at full load) leave the target index: each was an insert at a
-- random place in it (its lead), and the desk's journal spent ~15% of its
-- CPU there. They are found by lead through the call log, which indexes the
-- same calls by lead already (AuditLog::List in src/modules/audit/).
DROP INDEX audit_log_target;
CREATE INDEX audit_log_target ON audit_log(target, id)
  WHERE action NOT IN ('lead.reveal', 'lead.outcome');
