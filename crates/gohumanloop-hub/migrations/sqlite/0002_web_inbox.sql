-- The approvers' web inbox: accounts, their grants, sign-in sessions, and per-status counts.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    -- Argon2id, PHC string format.
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('approver', 'admin')),
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER
);

-- Which tenants an approver sees (admins see every tenant).
CREATE TABLE user_tenants (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, tenant_id)
);

-- Sessions are found by the SHA-256 of the cookie's random token (the token itself is never
-- stored); `csrf` is the synchronizer token every form of the session carries.
CREATE TABLE web_sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE INDEX web_sessions_by_user ON web_sessions (user_id);

-- Counts per tenant, status and type, kept in the same transaction as the change, so that the
-- inbox's counts cost one tiny read however many requests there are: creates add to them once
-- per batch (src/store/sqlite/writer/create.rs), status changes through the trigger below.
CREATE TABLE request_counts (
    tenant_id INTEGER NOT NULL,
    status    TEXT    NOT NULL,
    loop_type TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, status, loop_type)
) WITHOUT ROWID;

INSERT INTO request_counts (tenant_id, status, loop_type, n)
    SELECT tenant_id, status, loop_type, count(*) FROM requests
    GROUP BY tenant_id, status, loop_type;

CREATE TRIGGER request_counts_status AFTER UPDATE OF status ON requests
    WHEN OLD.status <> NEW.status BEGIN
    UPDATE request_counts SET n = n - 1
        WHERE tenant_id = OLD.tenant_id AND status = OLD.status AND loop_type = OLD.loop_type;
    INSERT INTO request_counts (tenant_id, status, loop_type, n)
        VALUES (NEW.tenant_id, NEW.status, NEW.loop_type, 1)
        ON CONFLICT (tenant_id, status, loop_type) DO UPDATE SET n = n + 1;
END;

-- The inbox filters by task; the other filters narrow a scan that is already in rowid order.
CREATE INDEX requests_by_task ON requests (tenant_id, task_id);
