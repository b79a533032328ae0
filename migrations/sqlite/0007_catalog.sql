-- The product catalogue: products by SKU, and price books, one currency
-- each, with an entry per product (a unit price and volume tiers). A
-- book's entries are kept in its record and, one row each, beside it, so
-- a product a book prices cannot be deleted.
CREATE TABLE products (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
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
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    json TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    currency TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    entries TEXT NOT NULL
);

CREATE TABLE price_book_entries (
    price_book_id TEXT NOT NULL REFERENCES price_books (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    unit_price TEXT NOT NULL,
    PRIMARY KEY (price_book_id, product_id)
);

CREATE INDEX price_book_entries_product_idx ON price_book_entries (product_id);
