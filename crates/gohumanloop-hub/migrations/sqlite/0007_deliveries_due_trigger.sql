-- A change of a request marks its delivered messages due (so the dispatcher brings them up to
-- date), inside the change's own UPDATE: atomic with it by construction, and without a second
-- statement (a round trip to SQLite's thread) in the writer for every change.
CREATE TRIGGER deliveries_due_on_change AFTER UPDATE OF status ON requests BEGIN
    UPDATE deliveries SET due_at = NEW.updated_at
        WHERE request_id = NEW.id AND state = 'delivered';
END;
