-- Forecast snapshots: each rep's forecast of a period as it stood, weekly
-- and on demand, so it can be held against what was won. They never
-- change.
CREATE TABLE forecast_snapshots (
    id UUID PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    kind TEXT NOT NULL,
    week TEXT,
    period TEXT NOT NULL,
    period_from DATE NOT NULL,
    period_to DATE NOT NULL,
    rep_id UUID NOT NULL REFERENCES users (id),
    currency TEXT NOT NULL,
    open_deals BIGINT NOT NULL,
    pipeline NUMERIC NOT NULL,
    weighted NUMERIC NOT NULL,
    commit_amount NUMERIC NOT NULL,
    best_case NUMERIC NOT NULL,
    won NUMERIC NOT NULL,
    lost NUMERIC NOT NULL,
    taken_by UUID NOT NULL REFERENCES users (id)
);

-- One weekly snapshot per rep and week, however many servers take them.
CREATE UNIQUE INDEX forecast_snapshots_week_idx ON forecast_snapshots (rep_id, week);
CREATE INDEX forecast_snapshots_period_idx ON forecast_snapshots (period, rep_id);

CREATE FUNCTION forecast_snapshots_never_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'forecast snapshots never change';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER forecast_snapshots_never_change BEFORE UPDATE ON forecast_snapshots
FOR EACH ROW EXECUTE FUNCTION forecast_snapshots_never_change();
