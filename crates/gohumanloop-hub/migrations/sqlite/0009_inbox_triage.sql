-- The approver's inbox: text search, the pending requests by urgency, assignment.

-- What the inbox's search reads: the request's question, message, function name and arguments
-- (the first 2,000 characters of each: indexing costs about half a microsecond a character, on
-- every create), indexed by trigrams, so that any part of a word (3 characters or more; Chinese too) is found
-- through the index, in any case. A request's context never changes, so a row is written once,
-- with its request. Rows are found by the request's id (the FTS table's own rowid is not tied to
-- `requests.rowid`, which VACUUM may renumber); a search reads a tenant's newest matches first.
CREATE VIRTUAL TABLE request_search
    USING fts5(id UNINDEXED, tenant_id UNINDEXED, body, tokenize = 'trigram');

CREATE TRIGGER request_search_on_create AFTER INSERT ON requests BEGIN
    INSERT INTO request_search (id, tenant_id, body) VALUES (NEW.id, NEW.tenant_id, CASE WHEN json_valid(NEW.context) THEN
        concat_ws(char(10),
            substr(json_extract(NEW.context, '$.question'), 1, 2000),
            substr(json_extract(NEW.context, '$.message'), 1, 2000),
            substr(json_extract(NEW.context, '$.function.function_name'), 1, 2000),
            substr(json_extract(NEW.context, '$.function.arguments'), 1, 2000))
        ELSE '' END);
END;

CREATE TRIGGER request_search_on_delete AFTER DELETE ON requests BEGIN
    DELETE FROM request_search WHERE id = OLD.id;
END;

INSERT INTO request_search (id, tenant_id, body)
    SELECT id, tenant_id, CASE WHEN json_valid(context) THEN
        concat_ws(char(10),
            substr(json_extract(context, '$.question'), 1, 2000),
            substr(json_extract(context, '$.message'), 1, 2000),
            substr(json_extract(context, '$.function.function_name'), 1, 2000),
            substr(json_extract(context, '$.function.arguments'), 1, 2000))
        ELSE '' END
    FROM requests;

-- The inbox lists pending requests by deadline (none last), then oldest first.
CREATE INDEX requests_pending_by_urgency
    ON requests (tenant_id, coalesce(deadline_at, 9223372036854775807))
    WHERE status = 'pending';

-- (One row per conversation, its newest turn, reads the turns through the unique index on
-- (tenant_id, conversation_id, request_id, platform).)

-- Who looks after a request (one person at most); not a decision, so not in the audit chain.
CREATE TABLE assignments (
    request_id  TEXT    PRIMARY KEY REFERENCES requests (id),
    assignee    TEXT    NOT NULL,
    assigned_by TEXT    NOT NULL,
    assigned_at INTEGER NOT NULL
);
CREATE INDEX assignments_by_assignee ON assignments (assignee);
