-- The approver's inbox: text search, the pending requests by urgency, assignment (as SQLite's
-- migration 0009).

-- What the inbox's search reads: the request's question, message, function name and arguments
-- (the first 2,000 characters of each), lowercased. With pg_trgm (a trusted extension that ships with PostgreSQL) a trigram index finds
-- any part of a word; where the extension cannot be created the search scans.
ALTER TABLE requests ADD COLUMN search_text TEXT GENERATED ALWAYS AS (lower(
    coalesce(left(context::jsonb ->> 'question', 2000), '') || E'\n' ||
    coalesce(left(context::jsonb ->> 'message', 2000), '') || E'\n' ||
    coalesce(left(context::jsonb #>> '{function,function_name}', 2000), '') || E'\n' ||
    coalesce(left(context::jsonb #>> '{function,arguments}', 2000), ''))) STORED;

DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available: the inbox search scans';
END $$;

-- The extension lives in one schema of the database (hubs in other schemas share it): its
-- operator class is named with that schema.
DO $$
DECLARE
    home TEXT;
BEGIN
    SELECT n.nspname INTO home FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF home IS NOT NULL THEN
        EXECUTE format('CREATE INDEX requests_search ON requests USING gin (search_text %I.gin_trgm_ops)', home);
    END IF;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'no trigram index: the inbox search scans';
END $$;

CREATE INDEX requests_pending_by_urgency
    ON requests (tenant_id, (coalesce(deadline_at, 9223372036854775807)), seq)
    WHERE status = 'pending';

CREATE TABLE assignments (
    request_id  TEXT   PRIMARY KEY REFERENCES requests (id),
    assignee    TEXT   NOT NULL,
    assigned_by TEXT   NOT NULL,
    assigned_at BIGINT NOT NULL
);
CREATE INDEX assignments_by_assignee ON assignments (assignee);
