-- Where a quorum's votes stand (JSON of the policy's Tally), kept with the request by the
-- transaction that records each vote, so that the inbox's rows, chat cards and the API show
-- "1 of 2 approvals" without reading the votes.

ALTER TABLE requests ADD COLUMN tally TEXT;

-- A new count is shown like a new status: the request's delivered messages fall due, by the
-- same statement (leases and retries kept, as in 0001).
DROP TRIGGER deliveries_due_on_change ON requests;

CREATE TRIGGER deliveries_due_on_change AFTER UPDATE OF status, tally ON requests
    FOR EACH ROW
    EXECUTE FUNCTION deliveries_due_on_change();
