//! The in-memory output of an emitter: relative paths to file contents. Only the CLI writes.

use std::collections::BTreeMap;
use std::fmt;

/// A relative path with `/` separators, no `..`, no absolute prefix, no empty segment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(String);

/// A path that cannot be a [`RelPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPath(pub String);

impl fmt::Display for BadPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a safe relative path", self.0)
    }
}

impl std::error::Error for BadPath {}

impl RelPath {
    /// Checks and wraps a path.
    ///
    /// # Errors
    /// An absolute path, a `..` or `.` segment, an empty segment or a backslash.
    pub fn new(path: impl Into<String>) -> Result<RelPath, BadPath> {
        let path = path.into();
        let ok = !path.is_empty()
            && !path.starts_with('/')
            && !path.contains('\\')
            && !path.contains('\0')
            && path
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != "..");
        if ok {
            Ok(RelPath(path))
        } else {
            Err(BadPath(path))
        }
    }
    /// The path text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Generated files, ordered by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSet {
    files: BTreeMap<RelPath, String>,
}

impl FileSet {
    /// An empty set.
    pub fn new() -> FileSet {
        FileSet::default()
    }
    /// Adds a file, replacing one at the same path.
    ///
    /// # Panics
    /// If `path` is not a safe relative path: emitters build paths from validated names, so
    /// this is a bug in the emitter, not bad input.
    pub fn insert(&mut self, path: impl Into<String>, contents: String) {
        let path = RelPath::new(path).expect("emitters build safe relative paths");
        self.files.insert(path, contents);
    }
    /// Moves every file of `other` under `prefix/`.
    pub fn extend_under(&mut self, prefix: &str, other: FileSet) {
        for (p, c) in other.files {
            self.insert(format!("{prefix}/{p}"), c);
        }
    }
    /// The files in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&RelPath, &str)> {
        self.files.iter().map(|(p, c)| (p, c.as_str()))
    }
    /// The contents at a path.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(p, _)| p.as_str() == path)
            .map(|(_, c)| c.as_str())
    }
    /// How many files.
    pub fn len(&self) -> usize {
        self.files.len()
    }
    /// Whether there is no file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl IntoIterator for FileSet {
    type Item = (RelPath, String);
    type IntoIter = std::collections::btree_map::IntoIter<RelPath, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.files.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_escaping_paths() {
        for bad in ["", "/etc/passwd", "a/../b", "a//b", "./a", "a\\b"] {
            assert!(RelPath::new(bad).is_err(), "{bad}");
        }
        assert!(RelPath::new("terraform/staging/main.tf").is_ok());
    }
}
