//! Length-limited canonical Huffman codes for the encoder (MS-XCA §2.1: lengths 1..=15, codes
//! assigned in order of (length, symbol)).

use super::{MAX_CODE_LEN, NUM_SYMBOLS};

/// Reusable scratch space for building codes.
pub(super) struct CodeBuilder {
    /// Symbols with a nonzero frequency, sorted by frequency (then symbol).
    order: Vec<u16>,
    /// Node weights of the two-queue Huffman construction (leaves then internal nodes).
    weight: Vec<u64>,
    /// Parent of each node.
    parent: Vec<u32>,
    /// Depth of each node.
    depth: Vec<u32>,
}

impl CodeBuilder {
    pub(super) fn new() -> Self {
        Self {
            order: Vec::with_capacity(NUM_SYMBOLS),
            weight: Vec::with_capacity(2 * NUM_SYMBOLS),
            parent: Vec::with_capacity(2 * NUM_SYMBOLS),
            depth: Vec::with_capacity(2 * NUM_SYMBOLS),
        }
    }

    /// Computes code lengths (at most 15) for `freq` into `lens` and canonical codes into
    /// `codes`. The code is always complete (Kraft sum exactly 1), as the decoder requires:
    /// when fewer than two symbols are used, symbols 0 and 1 (or the used one and another) get
    /// length 1. Lengths are optimal (Huffman) unless a code exceeds 15 bits; then the longest
    /// codes are shortened and others lengthened until the Kraft sum is 1 again (the
    /// heuristic used by zlib-like encoders, near optimal).
    pub(super) fn build(
        &mut self,
        freq: &[u32; NUM_SYMBOLS],
        lens: &mut [u8; NUM_SYMBOLS],
        codes: &mut [u16; NUM_SYMBOLS],
    ) {
        lens.fill(0);
        self.order.clear();
        self.order
            .extend((0..NUM_SYMBOLS as u16).filter(|&s| freq[usize::from(s)] != 0));
        match self.order.len() {
            0 => {
                lens[0] = 1;
                lens[1] = 1;
            }
            1 => {
                let s = usize::from(self.order[0]);
                lens[s] = 1;
                lens[if s == 0 { 1 } else { 0 }] = 1;
            }
            _ => self.huffman(freq, lens),
        }
        canonical_codes(lens, codes);
    }

    fn huffman(&mut self, freq: &[u32; NUM_SYMBOLS], lens: &mut [u8; NUM_SYMBOLS]) {
        self.order.sort_by_key(|&s| (freq[usize::from(s)], s));
        let n = self.order.len();
        self.weight.clear();
        self.weight
            .extend(self.order.iter().map(|&s| u64::from(freq[usize::from(s)])));
        self.parent.clear();
        self.parent.resize(2 * n - 1, 0);
        // Two queues: leaves in `0..n` (sorted), internal nodes appended in increasing weight.
        let (mut leaf, mut node) = (0usize, n);
        for _ in 0..n - 1 {
            let mut pick = |weight: &Vec<u64>| -> usize {
                let use_leaf = leaf < n && (node >= weight.len() || weight[leaf] <= weight[node]);
                if use_leaf {
                    leaf += 1;
                    leaf - 1
                } else {
                    node += 1;
                    node - 1
                }
            };
            let a = pick(&self.weight);
            let b = pick(&self.weight);
            let id = self.weight.len();
            self.weight.push(self.weight[a] + self.weight[b]);
            self.parent[a] = id as u32;
            self.parent[b] = id as u32;
        }
        // Depths: the root is the last node; parents always come after their children.
        self.depth.clear();
        self.depth.resize(2 * n - 1, 0);
        for i in (0..2 * n - 2).rev() {
            self.depth[i] = self.depth[self.parent[i] as usize] + 1;
        }
        // Count leaves per length, clamping to the maximum.
        let max = MAX_CODE_LEN as usize;
        let mut count = [0u32; MAX_CODE_LEN as usize + 1];
        let mut overflow = false;
        for &d in &self.depth[..n] {
            let d = d as usize;
            if d > max {
                overflow = true;
            }
            count[d.min(max)] += 1;
        }
        if overflow {
            // Restore the Kraft sum to exactly 2^max: each step removes one code of the
            // maximum length and splits a shorter leaf into two one bit longer.
            let mut total: u64 = (1..=max).map(|l| u64::from(count[l]) << (max - l)).sum();
            while total > 1 << max {
                count[max] -= 1;
                for l in (1..max).rev() {
                    if count[l] != 0 {
                        count[l] -= 1;
                        count[l + 1] += 2;
                        break;
                    }
                }
                total -= 1;
            }
        }
        // The most frequent symbols (end of `order`) get the shortest lengths.
        let mut it = self.order.iter().rev();
        for (l, &c) in count.iter().enumerate().skip(1) {
            for _ in 0..c {
                if let Some(&s) = it.next() {
                    lens[usize::from(s)] = l as u8;
                }
            }
        }
    }
}

/// Canonical codes from lengths: codes of each length are consecutive, in symbol order, after
/// all shorter codes (MS-XCA §2.1; the same rule as DEFLATE's RFC 1951 §3.2.2).
fn canonical_codes(lens: &[u8; NUM_SYMBOLS], codes: &mut [u16; NUM_SYMBOLS]) {
    let mut count = [0u32; MAX_CODE_LEN as usize + 1];
    for &l in lens.iter() {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; MAX_CODE_LEN as usize + 1];
    let mut code = 0u32;
    for l in 1..=MAX_CODE_LEN as usize {
        code = (code + count[l - 1]) << 1;
        next[l] = code;
    }
    for (s, &l) in lens.iter().enumerate() {
        if l != 0 {
            codes[s] = next[usize::from(l)] as u16;
            next[usize::from(l)] += 1;
        } else {
            codes[s] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kraft(lens: &[u8; NUM_SYMBOLS]) -> u64 {
        lens.iter()
            .filter(|&&l| l != 0)
            .map(|&l| 1u64 << (MAX_CODE_LEN - u32::from(l)))
            .sum()
    }

    #[test]
    fn complete_for_zero_and_one_symbol() {
        let mut b = CodeBuilder::new();
        let (mut lens, mut codes) = ([0u8; NUM_SYMBOLS], [0u16; NUM_SYMBOLS]);
        let mut freq = [0u32; NUM_SYMBOLS];
        b.build(&freq, &mut lens, &mut codes);
        assert_eq!(kraft(&lens), 1 << MAX_CODE_LEN);
        freq[300] = 7;
        b.build(&freq, &mut lens, &mut codes);
        assert_eq!(lens[300], 1);
        assert_eq!(kraft(&lens), 1 << MAX_CODE_LEN);
    }

    #[test]
    fn fibonacci_frequencies_are_limited_to_15_bits() {
        // Fibonacci weights give the deepest possible Huffman tree (one leaf per level).
        let mut freq = [0u32; NUM_SYMBOLS];
        let (mut a, mut b) = (1u32, 1u32);
        for f in freq.iter_mut().take(30) {
            *f = a;
            (a, b) = (b, a.saturating_add(b));
        }
        let mut cb = CodeBuilder::new();
        let (mut lens, mut codes) = ([0u8; NUM_SYMBOLS], [0u16; NUM_SYMBOLS]);
        cb.build(&freq, &mut lens, &mut codes);
        assert!(lens.iter().all(|&l| u32::from(l) <= MAX_CODE_LEN));
        assert!(lens[..30].iter().all(|&l| l != 0));
        assert_eq!(kraft(&lens), 1 << MAX_CODE_LEN);
        // More frequent symbols never get longer codes.
        for i in 1..30 {
            assert!(lens[i] <= lens[i - 1], "{lens:?}");
        }
    }

    #[test]
    fn optimal_when_not_limited() {
        let mut freq = [0u32; NUM_SYMBOLS];
        freq[..4].copy_from_slice(&[1, 1, 2, 4]);
        let mut cb = CodeBuilder::new();
        let (mut lens, mut codes) = ([0u8; NUM_SYMBOLS], [0u16; NUM_SYMBOLS]);
        cb.build(&freq, &mut lens, &mut codes);
        assert_eq!(&lens[..4], &[3, 3, 2, 1]);
        assert_eq!(&codes[..4], &[0b110, 0b111, 0b10, 0b0]);
    }
}
