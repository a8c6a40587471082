//! Waveforms: VCD files of every design signal (opened now or armed for a window of
//! cycles, exact to the cycle) and the conversion of a VCD to FST.

use std::path::Path;

use crate::ffi::bridge;
use crate::{Rtl, SimError};

/// VCD time units (ns) per clock cycle: rising edge number `c` (after which
/// [`Rtl::cycles`] is `c`) is at time `c * VCD_TIME_PER_CYCLE`.
pub const VCD_TIME_PER_CYCLE: u64 = 10;

/// Convert the VCD file `vcd` to an FST file `fst` with the FST writer Verilator ships
/// (compressed; GTKWave reads it like the VCD). Streaming; the FST has the same scopes,
/// signals and values.
pub fn vcd_to_fst(vcd: &Path, fst: &Path) -> Result<(), SimError> {
    let bad = |p: &Path| SimError::Vcd { path: p.display().to_string() };
    let v = vcd.to_str().ok_or_else(|| bad(vcd))?;
    let f = fst.to_str().ok_or_else(|| bad(fst))?;
    let err = bridge::vcd_to_fst(v, f);
    if err.is_empty() {
        Ok(())
    } else {
        Err(SimError::Fst(err))
    }
}

impl Rtl {
    /// Whether this model has Verilator's tracer (built with `--trace`: the traced model
    /// [`RtlOptions::trace`](crate::RtlOptions::trace) selects, the mutant and the coverage
    /// models). The VCD calls of an untraced model fail with [`SimError::NotTraced`].
    pub fn traced(&self) -> bool {
        self.m.traced()
    }

    fn need_trace(&self, path: &str) -> Result<(), SimError> {
        if self.m.traced() {
            Ok(())
        } else {
            Err(SimError::NotTraced { path: path.to_string() })
        }
    }

    /// Start writing every design signal to a VCD file (closing one already open). Time
    /// is `cycles * VCD_TIME_PER_CYCLE` ns.
    pub fn vcd_open(&mut self, path: &Path) -> Result<(), SimError> {
        let p = path.to_str().ok_or_else(|| SimError::Vcd { path: path.display().to_string() })?;
        self.need_trace(p)?;
        self.m.pin_mut().vcd_clear_error();
        if self.m.pin_mut().vcd_open(p) {
            Ok(())
        } else {
            Err(self.vcd_failure(p).unwrap_or(SimError::Vcd { path: p.to_string() }))
        }
    }

    /// Arm a VCD window: the file is opened when the clock reaches cycle `from` (at once
    /// if it is there already) and dumping stops after cycle `to` (`None`: until
    /// [`Rtl::vcd_close`]). Exact to the cycle, whatever the caller runs meanwhile (host-bus
    /// traffic, trap service, steps); [`Rtl::reset`] disarms it.
    pub fn vcd_arm(&mut self, path: &Path, from: u64, to: Option<u64>) -> Result<(), SimError> {
        let p = path.to_str().ok_or_else(|| SimError::Vcd { path: path.display().to_string() })?;
        self.need_trace(p)?;
        self.m.pin_mut().vcd_clear_error();
        self.m.pin_mut().vcd_arm(p, from, to.unwrap_or(u64::MAX));
        match self.vcd_failure(p) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The first error the VCD file met (open or write: a full disk), if any. After a
    /// write error the rest of the dump is discarded, never retried, so the simulation
    /// goes on and the caller reports it.
    pub fn vcd_failure(&self, path: &str) -> Option<SimError> {
        match self.m.vcd_error() {
            0 => None,
            e => Some(SimError::VcdWrite { path: path.to_string(), source: std::io::Error::from_raw_os_error(e) }),
        }
    }

    /// Flush and close the VCD file, if one is open.
    pub fn vcd_close(&mut self) {
        self.m.pin_mut().vcd_close();
    }

    /// Whether a VCD file is open.
    pub fn vcd_is_open(&self) -> bool {
        self.m.vcd_is_open()
    }
}
