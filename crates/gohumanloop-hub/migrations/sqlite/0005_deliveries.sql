-- Channels' deliveries: one message of one request on one channel to one recipient, with the
-- platform's reference to it, so that it can be updated after a decision made anywhere else.
-- `due_at` says when the dispatcher should act on it next (first delivery, a retry, or an
-- update after the request changed); NULL: nothing to do. A change of a request marks its
-- delivered rows due in the same transaction (see writer/transition.rs).
CREATE TABLE deliveries (
    request_id    TEXT    NOT NULL REFERENCES requests (id),
    channel       TEXT    NOT NULL,
    recipient     TEXT    NOT NULL,
    state         TEXT    NOT NULL,   -- pending | delivered | skipped | gave_up
    reference     TEXT,               -- the platform's reference to the message
    shown_status  TEXT,               -- the request's status the message shows
    attempts      INTEGER NOT NULL DEFAULT 0,   -- failed attempts since the last success
    due_at        INTEGER,
    last_error    TEXT,
    data          TEXT,               -- the channel's own JSON
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (request_id, channel, recipient)
);
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX deliveries_by_reference ON deliveries (channel, reference)
    WHERE reference IS NOT NULL;
