//! Replacing a file so that a crash or a failed write never leaves a torn file under its name:
//! write a temporary file in the same directory (a rename is only atomic within one file
//! system), fsync it, rename it over the target, fsync the directory. `tempfile` names the
//! temporary file and removes it on every path that does not rename it.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io;
use std::path::Path;
use tempfile::{Builder, NamedTempFile};

/// Creates or replaces `path` with what `write` puts in the file. If `write` (or anything after
/// it) fails, `path` is untouched and the temporary file is removed.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = parent_dir(path);
    let prefix = temporary_prefix(path);
    let mut temporary = temporary_builder(&prefix).tempfile_in(dir)?;
    write(temporary.as_file_mut())?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|e| e.error)?;
    sync_dir(dir);
    Ok(())
}

/// Makes `link` a name of the same file as `source` (or an atomic copy of it where hard links
/// are not supported), replacing whatever `link` was.
pub fn link_atomically(source: &Path, link: &Path) -> io::Result<()> {
    let dir = parent_dir(link);
    let prefix = temporary_prefix(link);
    let linked: io::Result<NamedTempFile<()>> =
        temporary_builder(&prefix).make_in(dir, |temporary| fs::hard_link(source, temporary));
    match linked {
        Ok(temporary) => {
            temporary.persist(link).map_err(|e| e.error)?;
            sync_dir(dir);
            Ok(())
        }
        Err(_) => {
            let bytes = fs::read(source)?;
            write_atomically(link, |file| io::Write::write_all(file, &bytes))
        }
    }
}

/// `.<target name>.`: a temporary file left by a killed process says what it was for.
fn temporary_prefix(target: &Path) -> OsString {
    let mut prefix = OsString::from(".");
    if let Some(name) = target.file_name() {
        prefix.push(name);
    }
    prefix.push(".");
    prefix
}

/// Temporary files named `<prefix><random>.tmp`, created with the permissions of a plain
/// `File::create` (0666 less the umask) rather than tempfile's private 0600: they become the
/// checkpoint.
fn temporary_builder(prefix: &OsStr) -> Builder<'_, 'static> {
    let mut builder = Builder::new();
    builder.prefix(prefix).suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Persists the rename. Best effort: the new file is already in place, and some file systems
/// refuse to fsync a directory.
fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}
