pub mod api;
pub mod ops;
pub mod ui;
