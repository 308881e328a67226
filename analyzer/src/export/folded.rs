//! Folded stacks (`stacks.folded`): one line per call path, `component;outer;inner value`, the
//! value in nanoseconds of self time, for `inferno`, `flamegraph.pl` and speedscope. The values
//! add up to the run's self time exactly (README "Folded stacks").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::output::write_file;
use crate::error::Error;
use crate::report::Report;

/// The file's default name, in the log directory.
pub const FOLDED_FILE: &str = "stacks.folded";

/// A frame as the format allows it: `;` separates frames and a line holds one stack, so a
/// name's `;` becomes `:` and its line breaks spaces.
fn frame_text(frame: &str) -> String {
    frame
        .chars()
        .map(|ch| match ch {
            ';' => ':',
            '\n' | '\r' => ' ',
            other => other,
        })
        .collect()
}

/// The stacks and their values, sorted by stack; paths that read the same (one operation
/// under several phases) are one line. Paths of no time are left out.
pub fn stacks(report: &Report) -> Vec<(String, u64)> {
    let mut stacks: BTreeMap<String, u64> = BTreeMap::new();
    for path in &report.call_tree.paths {
        let stack = path
            .frames
            .iter()
            .map(|frame| frame_text(frame))
            .collect::<Vec<_>>()
            .join(";");
        *stacks.entry(stack).or_default() += path.value_ns;
    }
    stacks.into_iter().filter(|&(_, value)| value > 0).collect()
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for (stack, value) in stacks(report) {
        out.push_str(&stack);
        out.push(' ');
        out.push_str(&value.to_string());
        out.push('\n');
    }
    out
}

/// Writes the folded stacks to `path` and returns it.
pub fn write(report: &Report, path: &Path) -> Result<PathBuf, Error> {
    write_file(path, render(report))?;
    Ok(path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_cannot_break_the_format() {
        assert_eq!(frame_text("a;b\nc"), "a:b c");
        assert_eq!(frame_text("ppo::step"), "ppo::step");
    }
}
