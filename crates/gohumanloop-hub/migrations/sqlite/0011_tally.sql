-- Where a quorum's votes stand (JSON of the policy's Tally), kept with the request by the
-- transaction that records each vote, so that the inbox's rows, chat cards and the API show
-- "1 of 2 approvals" without reading the votes.

ALTER TABLE requests ADD COLUMN tally TEXT;

-- A new count is shown like a new status: the request's delivered messages fall due, by the
-- same statement (leases and retries kept, as 0008 says).
DROP TRIGGER deliveries_due_on_change;

CREATE TRIGGER deliveries_due_on_change AFTER UPDATE OF status, tally ON requests BEGIN
    UPDATE deliveries SET due_at = NEW.updated_at
        WHERE request_id = NEW.id AND state = 'delivered'
          AND (due_at IS NULL OR due_at <= NEW.updated_at);
END;
