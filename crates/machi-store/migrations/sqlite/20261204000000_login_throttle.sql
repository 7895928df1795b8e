-- Log-in throttling buckets, one per account (`account:<e-mail>`) and per
-- client address (`client:<ip>`): taken atomically by an upsert, so the
-- limit holds under concurrent attempts and across app servers.
CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    attempts     INTEGER NOT NULL CHECK (attempts >= 0)
);
