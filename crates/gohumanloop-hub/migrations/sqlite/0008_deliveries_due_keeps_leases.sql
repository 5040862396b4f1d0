-- A change of a request marks its delivered messages due — but no longer shortens a delivery's
-- later `due_at`: that is a claimant's lease (an attempt in flight: marking it due let another
-- claim send the next update at the same time, and the first attempt, finding the request moved
-- on, made it due again: the update went out twice) or a retry's backoff. The attempt in flight
-- sees the change when it records its outcome (the request's status differs from the one its
-- message shows, so it stays due), and a retry reads the request as it is then.
DROP TRIGGER deliveries_due_on_change;

CREATE TRIGGER deliveries_due_on_change AFTER UPDATE OF status ON requests BEGIN
    UPDATE deliveries SET due_at = NEW.updated_at
        WHERE request_id = NEW.id AND state = 'delivered'
          AND (due_at IS NULL OR due_at <= NEW.updated_at);
END;
