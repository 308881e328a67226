//! Replacing a file so that a crash or a failed write never leaves a torn file under its name:
//! write a temporary file in the same directory (a rename is only atomic within one file
//! system), fsync it, rename it over the target, fsync the directory.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// The temporary file `write_atomically(path, ..)` writes before renaming.
pub fn temporary_path(path: &Path) -> io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a file path", path.display()),
        )
    })?;
    let mut temporary = std::ffi::OsString::from(".");
    temporary.push(name);
    temporary.push(format!(".tmp-{}", std::process::id()));
    Ok(path.with_file_name(temporary))
}

/// Creates or replaces `path` with what `write` puts in the file. If `write` (or anything after
/// it) fails, `path` is untouched and the temporary file is removed.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let temporary = temporary_path(path)?;
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)?;
        write(&mut file)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
        return result;
    }
    sync_parent(path);
    Ok(())
}

/// Makes `link` a name of the same file as `source` (or an atomic copy of it where hard links
/// are not supported), replacing whatever `link` was.
pub fn link_atomically(source: &Path, link: &Path) -> io::Result<()> {
    let temporary = temporary_path(link)?;
    let _ = fs::remove_file(&temporary);
    match fs::hard_link(source, &temporary) {
        Ok(()) => {
            if let Err(e) = fs::rename(&temporary, link) {
                let _ = fs::remove_file(&temporary);
                return Err(e);
            }
            sync_parent(link);
            Ok(())
        }
        Err(_) => {
            let bytes = fs::read(source)?;
            write_atomically(link, |file| io::Write::write_all(file, &bytes))
        }
    }
}

/// Persists the rename. Best effort: the new file is already in place, and some file systems
/// refuse to fsync a directory.
fn sync_parent(path: &Path) {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(parent) {
        let _ = dir.sync_all();
    }
}
