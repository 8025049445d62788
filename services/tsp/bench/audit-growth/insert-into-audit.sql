-- The durable floor (../durable-floor.sql) with its audit row going into the real, partitioned
-- audit_entries (routed to the current month) instead of a small table.
\set id random(1, :rows)
BEGIN;
SELECT counter, payload FROM durable_floor_rows WHERE id = :id;
UPDATE durable_floor_rows SET counter = counter + 1, touched_at = now() WHERE id = :id;
INSERT INTO audit_entries (id, at, actor, action, subject_type, subject_id, outcome, details, request_id)
  VALUES ('aud_' || substr(md5(random()::text), 1, 16), now(), '{"type":"client","clientId":"cli_acq_000000000017"}', 'token.detokenized', 'token', 'tok_' || :id, 'success',
          '{"merchantId":"898310048160001","channel":"nfc","atc":17,"decisionId":"rd_0123456789abcdef"}', 'req_' || substr(md5(random()::text), 1, 20));
END;
