-- Forecast snapshots: each rep's forecast of a period as it stood, weekly
-- and on demand, so it can be held against what was won. They never
-- change.
CREATE TABLE forecast_snapshots (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    kind TEXT NOT NULL,
    week TEXT,
    period TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    rep_id TEXT NOT NULL REFERENCES users (id),
    currency TEXT NOT NULL,
    open_deals BIGINT NOT NULL,
    pipeline TEXT NOT NULL,
    weighted TEXT NOT NULL,
    commit_amount TEXT NOT NULL,
    best_case TEXT NOT NULL,
    won TEXT NOT NULL,
    lost TEXT NOT NULL,
    taken_by TEXT NOT NULL REFERENCES users (id)
);

-- One weekly snapshot per rep and week, however many servers take them.
CREATE UNIQUE INDEX forecast_snapshots_week_idx ON forecast_snapshots (rep_id, week);
CREATE INDEX forecast_snapshots_period_idx ON forecast_snapshots (period, rep_id);

CREATE TRIGGER forecast_snapshots_never_change BEFORE UPDATE ON forecast_snapshots
BEGIN
    SELECT RAISE(ABORT, 'forecast snapshots never change');
END;
