-- The email channel: one row per request mailed (its token threads replies back), the signed
-- links already used (each works once), and the hub's own secrets (the link-signing key).
CREATE TABLE email_messages (
    request_id  TEXT    PRIMARY KEY REFERENCES requests (id),
    token       TEXT    NOT NULL UNIQUE,
    message_id  TEXT    NOT NULL,
    recipients  TEXT    NOT NULL,   -- JSON array of addresses
    subject     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    gave_up_at  INTEGER             -- refused for good (bad address, 5xx): not tried again
);

CREATE TABLE email_links_used (
    link_id     TEXT    PRIMARY KEY,  -- SHA-256 of the link's token
    request_id  TEXT    NOT NULL,
    used_at     INTEGER NOT NULL
);

CREATE TABLE hub_secrets (
    name        TEXT    PRIMARY KEY,
    value       BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
);
