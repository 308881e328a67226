pub mod env;
pub mod game;
