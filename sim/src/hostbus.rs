//! The host bus (`hb_*`, docs/rtl-interface.md): one transaction at a time, clocked until
//! `hb_ack_o`; a time-out is a [`SimError::BusTimeout`] and keeps the bus down until the
//! error is taken. On top of it the firmware-like conveniences: data and code RAM at any
//! alignment, control registers.

use crate::{Rtl, SimError, Space, HB_TIMEOUT_CYCLES};

impl Rtl {
    /// A bus that timed out stays down until its error is taken
    /// ([`take_bus_error`](Rtl::take_bus_error)): further accesses fail at once instead of
    /// waiting [`HB_TIMEOUT_CYCLES`] each (a broken RTL — a mutant — would otherwise spend
    /// minutes timing out every word of an arena).
    fn bus_down(&self, space: Space, addr: u16) -> Result<(), SimError> {
        match self.bus_error {
            Some(SimError::BusTimeout { .. }) => Err(SimError::BusDown { space, addr }),
            _ => Ok(()),
        }
    }

    /// One host-bus read (clocks until `hb_ack_o`).
    pub fn try_hb_read(&mut self, space: Space, addr: u16) -> Result<u32, SimError> {
        self.bus_down(space, addr)?;
        let mut r = 0u32;
        if self.m.pin_mut().hb_access(false, space as u8, addr, 0, 0, HB_TIMEOUT_CYCLES, &mut r) {
            Ok(r)
        } else {
            Err(SimError::BusTimeout { space, addr, cycles: HB_TIMEOUT_CYCLES })
        }
    }

    /// One host-bus write with byte enables `be` (clocks until `hb_ack_o`).
    pub fn try_hb_write(&mut self, space: Space, addr: u16, data: u32, be: u8) -> Result<(), SimError> {
        self.bus_down(space, addr)?;
        let mut r = 0u32;
        if self.m.pin_mut().hb_access(true, space as u8, addr, data, be & 0xF, HB_TIMEOUT_CYCLES, &mut r) {
            Ok(())
        } else {
            Err(SimError::BusTimeout { space, addr, cycles: HB_TIMEOUT_CYCLES })
        }
    }

    /// One host-bus read. On a bus time-out (no ack within [`HB_TIMEOUT_CYCLES`]) it
    /// returns 0 and records the error for [`take_bus_error`](Rtl::take_bus_error);
    /// [`try_hb_read`](Rtl::try_hb_read) returns it instead.
    pub fn hb_read(&mut self, space: Space, addr: u16) -> u32 {
        match self.try_hb_read(space, addr) {
            Ok(v) => v,
            Err(e) => {
                self.bus_error.get_or_insert(e);
                0
            }
        }
    }

    /// One host-bus write; a time-out is recorded as for [`hb_read`](Rtl::hb_read).
    pub fn hb_write(&mut self, space: Space, addr: u16, data: u32, be: u8) {
        if let Err(e) = self.try_hb_write(space, addr, data, be) {
            self.bus_error.get_or_insert(e);
        }
    }

    /// The first bus error [`hb_read`](Rtl::hb_read)/[`hb_write`](Rtl::hb_write) met
    /// since the last call (or reset).
    pub fn take_bus_error(&mut self) -> Option<SimError> {
        self.bus_error.take()
    }

    /// Keep the first error of a caller that cannot return one (the executive's `Host`
    /// methods are infallible); [`take_bus_error`](Rtl::take_bus_error) reports it.
    pub fn note_bus_error(&mut self, e: SimError) {
        self.bus_error.get_or_insert(e);
    }

    /// Write bytes into data RAM at any alignment (byte enables for partial words).
    pub fn write_data(&mut self, addr: u16, bytes: &[u8]) -> Result<(), SimError> {
        check_range(Space::Data, addr, bytes.len())?;
        let mut a = addr as u32;
        let end = a + bytes.len() as u32;
        while a < end {
            let word = a & !3;
            let mut be = 0u8;
            let mut data = 0u32;
            while a < end && a & !3 == word {
                let lane = a & 3;
                be |= 1 << lane;
                data |= (bytes[(a - addr as u32) as usize] as u32) << (8 * lane);
                a += 1;
            }
            self.try_hb_write(Space::Data, word as u16, data, be)?;
        }
        Ok(())
    }

    /// Read `len` bytes of data RAM over the bus.
    pub fn read_data(&mut self, addr: u16, len: usize) -> Result<Vec<u8>, SimError> {
        check_range(Space::Data, addr, len)?;
        let mut out = Vec::with_capacity(len);
        let mut cached: Option<(u32, u32)> = None;
        for a in addr as u32..addr as u32 + len as u32 {
            let word = a & !3;
            let w = match cached {
                Some((cw, v)) if cw == word => v,
                _ => {
                    let v = self.try_hb_read(Space::Data, word as u16)?;
                    cached = Some((word, v));
                    v
                }
            };
            out.push((w >> (8 * (a & 3))) as u8);
        }
        Ok(out)
    }

    /// A data-RAM word over the bus (`addr` word-aligned down).
    pub fn read_data_word(&mut self, addr: u16) -> Result<u32, SimError> {
        self.try_hb_read(Space::Data, addr & !3)
    }

    /// Write bytes into code RAM (code space is big-endian: the byte at the lowest
    /// address is bits 31:24 of its word). Whole words are written directly; a partial
    /// word is read, merged and written back.
    pub fn write_code(&mut self, addr: u16, bytes: &[u8]) -> Result<(), SimError> {
        check_range(Space::Code, addr, bytes.len())?;
        let mut a = addr as u32;
        let end = a + bytes.len() as u32;
        while a < end {
            let word = a & !3;
            let whole = a == word && end - a >= 4;
            let mut w = if whole { 0 } else { self.try_hb_read(Space::Code, word as u16)? };
            while a < end && a & !3 == word {
                let shift = 8 * (3 - (a & 3));
                w = (w & !(0xFF << shift)) | ((bytes[(a - addr as u32) as usize] as u32) << shift);
                a += 1;
            }
            self.try_hb_write(Space::Code, word as u16, w, 0xF)?;
        }
        Ok(())
    }

    /// Write code words (as numbers) from word-aligned `addr` on.
    pub fn write_code_words(&mut self, addr: u16, words: &[u32]) -> Result<(), SimError> {
        check_range(Space::Code, addr & !3, words.len() * 4)?;
        for (i, w) in words.iter().enumerate() {
            self.try_hb_write(Space::Code, (addr & !3) + 4 * i as u16, *w, 0xF)?;
        }
        Ok(())
    }

    /// Read `len` bytes of code RAM over the bus.
    pub fn read_code(&mut self, addr: u16, len: usize) -> Result<Vec<u8>, SimError> {
        check_range(Space::Code, addr, len)?;
        let mut out = Vec::with_capacity(len);
        let mut a = addr as u32;
        let end = a + len as u32;
        let mut cached: Option<(u32, u32)> = None;
        while a < end {
            let word = a & !3;
            let w = match cached {
                Some((cw, v)) if cw == word => v,
                _ => {
                    let v = self.try_hb_read(Space::Code, word as u16)?;
                    cached = Some((word, v));
                    v
                }
            };
            out.push((w >> (8 * (3 - (a & 3)))) as u8);
            a += 1;
        }
        Ok(out)
    }

    /// A control register over the bus.
    pub fn read_ctrl(&mut self, addr: u16) -> Result<u32, SimError> {
        self.try_hb_read(Space::Ctrl, addr)
    }

    /// Write a control register over the bus.
    pub fn write_ctrl(&mut self, addr: u16, value: u32) -> Result<(), SimError> {
        self.try_hb_write(Space::Ctrl, addr, value, 0xF)
    }
}

fn check_range(space: Space, addr: u16, len: usize) -> Result<(), SimError> {
    if addr as usize + len > 0x1_0000 {
        Err(SimError::OutOfRange { space, addr, len })
    } else {
        Ok(())
    }
}
