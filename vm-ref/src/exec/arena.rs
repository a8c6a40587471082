//! The stack-arena allocator (context.md "Arena allocation").
//!
//! Arenas are handed out from the top of data memory downward, starting at
//! [`isa::STACK_TOP_INIT`]. Every address below the *allocation point* has never been
//! handed out (or has been given back, see below); freed arenas above it are kept on a
//! free list sorted by address and coalesced. A request takes the **highest** free block
//! that is large enough and carves the arena from the **top** of that block; only when no
//! block is large enough does it take the bytes just below the allocation point and move
//! the point down.
//!
//! A freed block that ends up touching the allocation point is merged back into the
//! never-handed-out region (the point moves up), so that after every arena is freed the
//! allocator is back in its initial state: empty free list, point at `0xFFFC`.

use isa::STACK_TOP_INIT;

/// Where a proposed arena comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// Carved from the top of free-list block `i`.
    Block(usize),
    /// Taken just below the allocation point.
    Point,
}

/// An arena the allocator would hand out: `[lo, hi)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Proposal {
    pub lo: u32,
    pub hi: u32,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArenaAllocator {
    point: u32,
    /// Free blocks `[lo, hi)`, sorted, coalesced, all above `point` and none touching it.
    free: Vec<(u32, u32)>,
}

impl Default for ArenaAllocator {
    fn default() -> Self {
        ArenaAllocator { point: STACK_TOP_INIT, free: Vec::new() }
    }
}

impl ArenaAllocator {
    pub fn point(&self) -> u32 {
        self.point
    }
    pub fn free_list(&self) -> &[(u32, u32)] {
        &self.free
    }

    /// Where an arena of `size` bytes would go, without changing anything. `None` when no
    /// free block is large enough and fewer than `size` bytes lie below the point.
    pub fn propose(&self, size: u32) -> Option<Proposal> {
        if let Some((i, &(_, hi))) = self.free.iter().enumerate().rev().find(|(_, &(lo, hi))| hi - lo >= size) {
            return Some(Proposal { lo: hi - size, hi, source: Source::Block(i) });
        }
        let lo = self.point.checked_sub(size)?;
        Some(Proposal { lo, hi: self.point, source: Source::Point })
    }

    /// Hand out a proposal made by [`propose`](Self::propose) (with no change in between).
    pub fn commit(&mut self, p: Proposal) {
        match p.source {
            Source::Block(i) => {
                let (lo, _) = self.free[i];
                if lo == p.lo {
                    self.free.remove(i);
                } else {
                    self.free[i].1 = p.lo;
                }
            }
            Source::Point => self.point = p.lo,
        }
    }

    /// Give back the arena `[lo, hi)`.
    pub fn release(&mut self, lo: u32, hi: u32) {
        if lo >= hi {
            return;
        }
        let i = self.free.partition_point(|&(l, _)| l < lo);
        self.free.insert(i, (lo, hi));
        // Coalesce with the next block, then with the previous one.
        if i + 1 < self.free.len() && self.free[i].1 == self.free[i + 1].0 {
            self.free[i].1 = self.free[i + 1].1;
            self.free.remove(i + 1);
        }
        if i > 0 && self.free[i - 1].1 == self.free[i].0 {
            self.free[i - 1].1 = self.free[i].1;
            self.free.remove(i);
        }
        // A block touching the allocation point goes back below it.
        if let Some(&(l, h)) = self.free.first() {
            if l == self.point {
                self.point = h;
                self.free.remove(0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(a: &mut ArenaAllocator, size: u32) -> (u32, u32) {
        let p = a.propose(size).expect("room");
        a.commit(p);
        (p.lo, p.hi)
    }

    #[test]
    fn hands_out_downward_from_fffc() {
        let mut a = ArenaAllocator::default();
        assert_eq!(take(&mut a, 0x1000), (0xEFFC, 0xFFFC));
        assert_eq!(take(&mut a, 0x100), (0xEEFC, 0xEFFC));
        assert_eq!(a.point(), 0xEEFC);
        assert!(a.free_list().is_empty());
    }

    #[test]
    fn highest_fit_carved_from_top() {
        let mut a = ArenaAllocator::default();
        let x = take(&mut a, 0x1000); // EFFC..FFFC
        let _y = take(&mut a, 0x1000); // DFFC..EFFC
        let z = take(&mut a, 0x2000); // BFFC..DFFC
        let _w = take(&mut a, 0x100); // BEFC..BFFC
        a.release(z.0, z.1);
        a.release(x.0, x.1);
        assert_eq!(a.free_list(), &[(0xBFFC, 0xDFFC), (0xEFFC, 0xFFFC)]);
        // 0x800 fits both blocks: the highest one wins, carved from its top.
        assert_eq!(take(&mut a, 0x800), (0xF7FC, 0xFFFC));
        assert_eq!(a.free_list(), &[(0xBFFC, 0xDFFC), (0xEFFC, 0xF7FC)]);
        // 0x1000 fits only the lower block.
        assert_eq!(take(&mut a, 0x1000), (0xCFFC, 0xDFFC));
        assert_eq!(a.free_list(), &[(0xBFFC, 0xCFFC), (0xEFFC, 0xF7FC)]);
        // 0x1800 fits no block: the allocation point moves.
        assert_eq!(take(&mut a, 0x1800), (0xA6FC, 0xBEFC));
        assert_eq!(a.point(), 0xA6FC);
        // An exact fit removes the block.
        assert_eq!(take(&mut a, 0x800), (0xEFFC, 0xF7FC));
        assert_eq!(a.free_list(), &[(0xBFFC, 0xCFFC)]);
    }

    #[test]
    fn coalesces_both_sides_and_returns_to_point() {
        let mut a = ArenaAllocator::default();
        let v: Vec<_> = (0..4).map(|_| take(&mut a, 0x400)).collect();
        a.release(v[0].0, v[0].1);
        a.release(v[2].0, v[2].1);
        assert_eq!(a.free_list(), &[v[2], v[0]]);
        a.release(v[1].0, v[1].1); // joins both neighbours
        assert_eq!(a.free_list(), &[(v[2].0, v[0].1)]);
        a.release(v[3].0, v[3].1); // touches the point: everything goes back
        assert!(a.free_list().is_empty());
        assert_eq!(a, ArenaAllocator::default());
    }

    #[test]
    fn refuses_when_nothing_fits() {
        let mut a = ArenaAllocator::default();
        assert!(a.propose(0xFFFC).is_some());
        assert!(a.propose(0xFFFD).is_none());
        take(&mut a, 0xF000);
        assert!(a.propose(0x1000).is_none());
        assert_eq!(a.propose(0xFFC).map(|p| p.lo), Some(0));
    }
}
