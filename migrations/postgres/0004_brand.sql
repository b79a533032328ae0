-- Image assets and brand themes. An asset row is one uploaded version of a
-- name and never changes; its bytes are kept apart so lists stay light.
-- A theme record is editable; every state it was saved in is a theme
-- version that never changes, kept even when the theme is deleted, so a
-- document can always be made again with the look it had.
CREATE TABLE assets (
    id UUID PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    name TEXT NOT NULL,
    number BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    width_px BIGINT NOT NULL,
    height_px BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by UUID NOT NULL REFERENCES users (id),
    UNIQUE (name, number)
);

CREATE TABLE asset_contents (
    asset_id UUID PRIMARY KEY REFERENCES assets (id),
    bytes BYTEA NOT NULL
);

CREATE TABLE themes (
    id UUID PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    theme TEXT NOT NULL
);

CREATE TABLE theme_versions (
    id UUID PRIMARY KEY,
    theme_id UUID NOT NULL,
    key TEXT NOT NULL,
    number BIGINT NOT NULL,
    theme TEXT NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL,
    saved_by UUID NOT NULL REFERENCES users (id),
    UNIQUE (theme_id, number)
);

CREATE FUNCTION brand_rows_never_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows never change', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER assets_never_change BEFORE UPDATE OR DELETE ON assets
FOR EACH ROW EXECUTE FUNCTION brand_rows_never_change();
CREATE TRIGGER asset_contents_never_change BEFORE UPDATE OR DELETE ON asset_contents
FOR EACH ROW EXECUTE FUNCTION brand_rows_never_change();
CREATE TRIGGER theme_versions_never_change BEFORE UPDATE OR DELETE ON theme_versions
FOR EACH ROW EXECUTE FUNCTION brand_rows_never_change();
CREATE TRIGGER brand_rows_never_truncate BEFORE TRUNCATE ON assets
FOR EACH STATEMENT EXECUTE FUNCTION brand_rows_never_change();
