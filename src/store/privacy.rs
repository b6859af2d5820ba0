//! The store is private: customers, prices and the ledger are nobody
//! else's business on a shared machine. A new data directory is 0700 and
//! its files 0600; a store whose directory others can enter is reported
//! (`depot` warns on open and in `depot check`) with the command that
//! fixes it, but never changed behind its owner's back.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Mode of the data directory and every directory in it.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file of a store.
pub const FILE_MODE: u32 = 0o600;

/// `Some(mode)` when `dir` gives its group or others any permission.
pub fn exposed(dir: &Path) -> Option<u32> {
    let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

/// Make `dir` itself 0700.
pub fn set_private(dir: &Path) -> std::io::Result<()> {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
}

/// Make `dir` and everything under it 0700 (directories) / 0600 (files),
/// where it is not so already. Symbolic links are not followed.
pub fn set_private_tree(dir: &Path) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let want = if meta.is_dir() { DIR_MODE } else { FILE_MODE };
    if meta.permissions().mode() & 0o777 != want {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(want))?;
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(dir)? {
            set_private_tree(&entry?.path())?;
        }
    }
    Ok(())
}

/// The warning for a store others can reach.
pub fn warning(dir: &Path, mode: u32) -> String {
    format!(
        "the store in {} can be read by other users of this machine (its directory is {mode:03o}); \
         make it private with `chmod -R go-rwx {}`",
        dir.display(),
        dir.display()
    )
}
