-- The product catalogue: products by SKU, and price books, one currency
-- each, with an entry per product (a unit price and volume tiers). A
-- book's entries are kept in its record and, one row each, beside it, so
-- a product a book prices cannot be deleted.
CREATE TABLE products (
    id UUID PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    unit TEXT NOT NULL,
    category TEXT,
    active BOOLEAN NOT NULL
);

CREATE TABLE price_books (
    id UUID PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    currency TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    entries TEXT NOT NULL
);

CREATE TABLE price_book_entries (
    price_book_id UUID NOT NULL REFERENCES price_books (id),
    product_id UUID NOT NULL REFERENCES products (id),
    unit_price NUMERIC NOT NULL,
    PRIMARY KEY (price_book_id, product_id)
);

CREATE INDEX price_book_entries_product_idx ON price_book_entries (product_id);
