//! The seeded pseudo-random numbers behind the data, the simulated changes and the faults.
//!
//! SplitMix64 (Steele, Lea and Flood, 2014): one `u64` of state, fast, and well mixed enough for
//! test data. It is written here rather than taken from `rand` so that a seed gives the same users
//! for as long as this crate exists: `rand` documents that its `StdRng` may change between
//! versions, and a test's expected table must not.

/// A SplitMix64 generator.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose whole output is fixed by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// A generator for one item of a numbered series (the n-th request, say), independent of the
    /// order in which the items are asked for.
    pub(crate) fn for_item(seed: u64, item: u64) -> Self {
        let mut mixer = Rng::new(seed ^ item.wrapping_mul(0xD1B5_4A32_D192_ED03));
        Rng::new(mixer.next_u64())
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0), without modulo bias.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-and-reject: the rejection zone is the `2^64 mod n` smallest products.
        let threshold = n.wrapping_neg() % n;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(n);
            if (product as u64) >= threshold {
                return (product >> 64) as u64;
            }
        }
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    /// A number in `[0, 1)`, with 53 random bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// `true` with probability `share`.
    pub(crate) fn chance(&mut self, share: f64) -> bool {
        self.unit() < share
    }

    /// `k` distinct indexes of `0..n`, in the order drawn (`k <= n`).
    pub(crate) fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut pool: Vec<usize> = (0..n).collect();
        let mut chosen = Vec::with_capacity(k);
        for _ in 0..k.min(n) {
            let at = self.below(pool.len() as u64) as usize;
            chosen.push(pool.swap_remove(at));
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn a_seed_gives_the_same_numbers_forever() {
        // The reference SplitMix64 output for seed 0 (from the paper's C code).
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn below_stays_in_range_and_reaches_every_value() {
        let mut rng = Rng::new(7);
        let mut seen = [false; 6];
        for _ in 0..1000 {
            let n = rng.below(6) as usize;
            seen[n] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn sample_gives_distinct_indexes() {
        let mut rng = Rng::new(3);
        let mut picked = rng.sample(4, 4);
        picked.sort();
        assert_eq!(picked, vec![0, 1, 2, 3]);
    }
}
