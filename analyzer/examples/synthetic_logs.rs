//! Writes the benchmark's synthetic logs (benches/report_vs_anchors.rs) without timing
//! anything, for instruction profiles of `analyzer report` under callgrind:
//!
//! `cargo run --release -p analyzer --example synthetic_logs -- DIR ROWS [ours|legacy]`

#[path = "../tests/support/synthetic.rs"]
mod synthetic;

use std::path::PathBuf;

use synthetic::{Spec, write_legacy, write_ours};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: synthetic_logs DIR ROWS [ours|legacy]";
    let dir = PathBuf::from(args.next().ok_or(usage)?);
    let rows: u64 = args.next().ok_or(usage)?.replace('_', "").parse()?;
    let legacy = match args.next().as_deref() {
        None | Some("ours") => false,
        Some("legacy") => true,
        Some(_) => return Err(usage.into()),
    };
    std::fs::create_dir_all(&dir)?;
    // The benchmark's sizing: whole iterations covering `rows`, half as many for the
    // original's format, which writes two lines (START and END) per call.
    let spec = Spec::for_rows(rows);
    let spec = Spec {
        iterations: rows.div_ceil(spec.rows_per_iteration()) as usize,
        ..spec
    };
    let written = if legacy {
        write_legacy(
            &dir,
            Spec {
                iterations: spec.iterations.div_ceil(2),
                ..spec
            },
        )?
    } else {
        write_ours(&dir, spec)?
    };
    println!("{written} rows in {}", dir.display());
    Ok(())
}
