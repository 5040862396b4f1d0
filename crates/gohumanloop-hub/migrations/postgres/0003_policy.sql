-- Policy: the plan a request got from the first matching rule, stored with it so that
-- every restart and every node judges it the same; the hash of the call it asks about (function +
-- canonical arguments), which binds approvals and grants to it and finds a call asked again right
-- after a human rejected it; the votes of a quorum; standing grants.

ALTER TABLE requests ADD COLUMN plan TEXT;
ALTER TABLE requests ADD COLUMN call_hash TEXT;

CREATE INDEX requests_by_call ON requests (tenant_id, call_hash, updated_at)
    WHERE call_hash IS NOT NULL;

-- One vote per person and request (the primary key refuses a second), written in the same
-- transaction as the status change it may cause.
CREATE TABLE votes (
    request_id TEXT    NOT NULL,
    identity   TEXT    NOT NULL,
    approve    BIGINT  NOT NULL,
    reason     TEXT    NOT NULL,
    channel    TEXT    NOT NULL,
    cast_at    BIGINT NOT NULL,
    PRIMARY KEY (request_id, identity)
);

-- A grant approves the requests its scope covers until it expires, is used (single use) or is
-- revoked.
CREATE TABLE grants (
    id             TEXT    PRIMARY KEY,
    tenant_id      BIGINT NOT NULL,
    scope          TEXT    NOT NULL,
    function       TEXT    NOT NULL,
    single_use     BIGINT  NOT NULL,
    granted_by     TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    source_request TEXT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT,
    used_at        BIGINT,
    used_by        TEXT,
    revoked_at     BIGINT,
    revoked_by     TEXT
);

CREATE INDEX grants_live ON grants (tenant_id, created_at)
    WHERE revoked_at IS NULL AND used_at IS NULL;
