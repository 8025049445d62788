-- The durable floor (docs/benchmarks.md): the least a durable detokenization can cost —
-- read one row by primary key, update it, insert one audit row, commit (synchronous_commit on).
-- pgbench -M prepared -f durable-floor.sql -D rows=N; tables from durable-floor-setup.sql.
\set id random(1, :rows)
BEGIN;
SELECT counter, payload FROM durable_floor_rows WHERE id = :id;
UPDATE durable_floor_rows SET counter = counter + 1, touched_at = now() WHERE id = :id;
INSERT INTO durable_floor_audit (at, action, subject_id, actor, details)
  VALUES (now(), 'token.detokenized', :id, '{"type":"client","clientId":"cli_floor_acquirer_0001"}',
          '{"tokenRef":"tok_floor_0000000000000000","atc":1,"decision":"approve","merchantId":"898310048160001","amount":1999,"currency":"CNY","channel":"nfc"}');
END;
