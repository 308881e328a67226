//! A 2048 agent trained with PPO on a hand-rolled ndarray MLP, instrumented with `#[timed]`.
//!
//! Modules from the bottom up: `game` and `env` (the engine), `model` (network and Adam), `ppo`
//! (rollouts and updates), `checkpoint` (the file format and store), `error` (why a command
//! failed), `evaluation`, `timing` (the session and the site list), `manager` (a whole
//! training run, from [`manager::TrainSettings`]), and `dashboard` (the live page, its API and
//! WebSocket, which start and follow runs). The `trainer` binary's command line
//! (`src/cli.rs`) and its signal handling (`src/interrupt.rs`) sit on top, outside the library:
//! the library takes settings and a stop flag, never arguments or signals.

pub mod checkpoint;
pub mod dashboard;
pub mod env;
pub mod error;
pub mod evaluation;
pub mod game;
pub mod manager;
pub mod model;
pub mod ppo;
pub mod timing;
