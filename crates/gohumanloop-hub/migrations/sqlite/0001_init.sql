-- The hub's durable state. Times are Unix milliseconds (UTC) unless a column says otherwise.

CREATE TABLE tenants (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- API keys are stored as the SHA-256 of the key: keys are 244 random bits, so a fast hash is
-- enough to make a stolen database useless for authenticating, and keeps every request cheap.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    name       TEXT    NOT NULL,
    prefix     TEXT    NOT NULL,
    key_hash   TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE requests (
    id              TEXT    PRIMARY KEY,
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    task_id         TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    request_id      TEXT    NOT NULL,
    platform        TEXT    NOT NULL,
    loop_type       TEXT    NOT NULL,
    context         TEXT    NOT NULL,
    metadata        TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    response        TEXT,
    feedback        TEXT,
    responded_by    TEXT,
    responded_at    TEXT,
    error           TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    deadline_at     INTEGER,
    UNIQUE (tenant_id, conversation_id, request_id, platform)
);

-- Lists come newest first in insertion (rowid) order, which every index carries for free.
CREATE INDEX requests_by_tenant_status ON requests (tenant_id, status);
CREATE INDEX requests_by_request_id ON requests (tenant_id, request_id);
CREATE INDEX requests_with_deadline ON requests (deadline_at)
    WHERE deadline_at IS NOT NULL AND status = 'pending';

-- Append-only; each entry's hash covers the previous entry's hash (see src/audit.rs).
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT    NOT NULL,
    tenant_id  INTEGER NOT NULL,
    request    TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    channel    TEXT    NOT NULL,
    old_status TEXT,
    new_status TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);

CREATE INDEX audit_by_request ON audit_log (request, seq);

-- Task snapshots uploaded by GoHumanLoopManager (`tasks/sync`), merged per tenant.
CREATE TABLE tasks (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    task_id     TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    updates     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, task_id)
);
