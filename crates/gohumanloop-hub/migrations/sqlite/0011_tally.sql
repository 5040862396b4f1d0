-- Where a quorum's votes stand (JSON of the policy's Tally), kept with the request by the
-- transaction that records each vote, so that the inbox's rows, chat cards and the API show
-- "1 of 2 approvals" without reading the votes.

ALTER TABLE requests ADD COLUMN tally TEXT;
