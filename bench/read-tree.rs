// The cost of reading a generated tree: walk a folder and read every file, nothing else.
// A no-change rebuild must compare what it would generate with what is there, so this is the
// yardstick the issue sets for it ("costs at most the time to read the tree").
//   read-tree DIR        (prints nothing; PEER_VERBOSE=1 prints files and bytes)
use std::fs;
use std::io::Read;
use std::path::Path;

fn walk(dir: &Path, buf: &mut Vec<u8>, files: &mut u64, bytes: &mut u64) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let Ok(ty) = e.file_type() else { continue };
        if ty.is_dir() {
            walk(&e.path(), buf, files, bytes);
        } else if ty.is_file() {
            buf.clear();
            if let Ok(mut f) = fs::File::open(e.path()) {
                if f.read_to_end(buf).is_ok() {
                    *files += 1;
                    *bytes += buf.len() as u64;
                }
            }
        }
    }
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: read-tree DIR");
        std::process::exit(2)
    });
    let (mut buf, mut files, mut bytes) = (Vec::new(), 0u64, 0u64);
    walk(Path::new(&dir), &mut buf, &mut files, &mut bytes);
    if std::env::var_os("PEER_VERBOSE").is_some() {
        eprintln!("read-tree: {files} files, {bytes} bytes in {dir}");
    }
}
