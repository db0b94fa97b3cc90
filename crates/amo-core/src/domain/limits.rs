//! Lengths and sizes amoCRM takes, shared by what creates a record (`draft`) and what changes
//! one (`change`).

/// A lead's or contact's name.
pub const MAX_NAME: usize = 255;
/// Tags on one lead, and one tag's length.
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG: usize = 50;
/// amoCRM stores `price` as a 32-bit integer.
pub const MAX_PRICE: i64 = 2_147_483_647;
