//! A plain mutation fuzzer over the same pipeline as the libFuzzer target, for stable Rust
//! without libFuzzer: `cargo run --release --bin mutate -- SECONDS SEED_DIR... `.
//! Mutates the seeds (bit flips, byte edits, deletions, duplications, splices and spec
//! keywords from `spec.dict`) with a fixed-seed generator, runs each input, and saves every
//! input that panics under `artifacts/mutate/`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds(dirs: &[PathBuf]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for d in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(d)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        out.extend(files.iter().filter_map(|p| std::fs::read(p).ok()));
    }
    out
}

fn dictionary() -> Vec<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec.dict");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix('"')?
                .strip_suffix('"')
                .map(str::to_owned)
        })
        .map(|s| s.replace("\\\"", "\"").replace("\\x0a", "\n").into_bytes())
        .collect()
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, seeds: &[Vec<u8>], dict: &[Vec<u8>]) {
    for _ in 0..=rng.below(4) {
        let len = input.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] = rng.next() as u8;
            }
            2 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below((len - i).min(64)) + 1;
                input.drain(i..i + n);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below((len - i).min(256)) + 1;
                let chunk = input[i..i + n].to_vec();
                let at = rng.below(len + 1);
                input.splice(at..at, chunk);
            }
            4 if !seeds.is_empty() => {
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let i = rng.below(other.len());
                    let n = rng.below((other.len() - i).min(512)) + 1;
                    let at = rng.below(len + 1);
                    input.splice(at..at, other[i..i + n].iter().copied());
                }
            }
            5 if !dict.is_empty() => {
                let word = dict[rng.below(dict.len())].clone();
                let at = rng.below(len + 1);
                input.splice(at..at, word);
            }
            _ => {
                let at = rng.below(len + 1);
                let digits = (rng.next() % 10_000_000_000).to_string().into_bytes();
                input.splice(at..at, digits);
            }
        }
    }
    input.truncate(64 * 1024);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(60);
    let dirs: Vec<PathBuf> = args.iter().skip(1).map(PathBuf::from).collect();
    let seeds = seeds(&dirs);
    assert!(!seeds.is_empty(), "usage: mutate SECONDS SEED_DIR...");
    let dict = dictionary();
    let crashes = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/mutate");
    std::panic::set_hook(Box::new(|_| {}));

    let mut rng = Rng(0x5eed_f022_7131_0001);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut runs, mut found) = (0u64, 0u64);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let mut input = seeds[rng.below(seeds.len())].clone();
        mutate(&mut rng, &mut input, &seeds, &dict);
        runs += 1;
        if let Err(e) = catch_unwind(AssertUnwindSafe(|| tierform_fuzz::run(&input))) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            if !seen.contains(&msg) {
                std::fs::create_dir_all(&crashes).unwrap();
                let file = crashes.join(format!("crash-{runs}"));
                std::fs::write(&file, &input).unwrap();
                eprintln!("PANIC {msg}\n  input: {}", file.display());
                seen.push(msg);
            }
            found += 1;
        }
    }
    println!(
        "{runs} executions in {seconds}s from {} seeds: {found} panicking inputs, {} distinct panics",
        seeds.len(),
        seen.len()
    );
}
