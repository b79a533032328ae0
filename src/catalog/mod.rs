//! The catalogue quotes are priced from: products and price books, and
//! both as CSV.

pub mod csv;
pub mod price_books;
pub mod products;
