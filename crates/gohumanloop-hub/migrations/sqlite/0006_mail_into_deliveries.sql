-- The email channel keeps no table of its own any more: each request's mail is its delivery on
-- the channel "email" (the reply token as the reference; the Message-ID, the recipients and the
-- subject as its data), and the used links of every channel are in one table.
ALTER TABLE deliveries ADD COLUMN delivered_at INTEGER;

INSERT OR IGNORE INTO deliveries (request_id, channel, recipient, state, reference, shown_status,
                                  attempts, due_at, last_error, data, created_at, updated_at,
                                  delivered_at)
SELECT m.request_id, 'email', '',
       CASE WHEN m.sent_at IS NOT NULL THEN 'delivered'
            WHEN m.gave_up_at IS NOT NULL THEN 'gave_up'
            ELSE 'pending' END,
       m.token,
       CASE WHEN m.sent_at IS NOT NULL THEN 'pending' END,
       CASE WHEN m.sent_at IS NOT NULL THEN 0 ELSE m.attempts END,
       CASE WHEN m.sent_at IS NULL AND m.gave_up_at IS NULL THEN m.created_at END,
       m.last_error,
       json_object('message_id', m.message_id, 'recipients', json(m.recipients),
                   'subject', m.subject),
       m.created_at, coalesce(m.sent_at, m.gave_up_at, m.created_at), m.sent_at
FROM email_messages m;

DROP TABLE email_messages;

ALTER TABLE email_links_used RENAME TO used_links;
