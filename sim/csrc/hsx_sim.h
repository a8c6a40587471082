// C++ driver of the Verilated HSX models (the real `Vhsx`, the monitor model `Vhsx_mon`, the
// traced model `Vhsx_trc`, the mutant-capable `Vhsx_mut` and the coverage model
// `Vhsx_cov`). One abstract interface (what the cxx bridge in src/ffi.rs sees) and a class
// template over the Verilated model type (hsx_sim.cc) implementing it for each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "rust/cxx.h"

namespace hsx_sim {

struct RetireRec;
struct TrapRec;
struct RunOut;
struct ObsWrite;
struct VarInfo;
struct CheckedOut;

class RtlModel {
public:
    virtual ~RtlModel() = default;

    virtual void reset(uint32_t cycles) = 0;
    virtual uint64_t cycles() const = 0;
    virtual void tick(uint64_t n) = 0;
    virtual bool hb_access(bool we, uint8_t space, uint16_t addr, uint32_t wdata, uint8_t be,
                           uint32_t max_cycles, uint32_t& rdata) = 0;
    virtual void set_run(bool run) = 0;
    virtual bool get_run() const = 0;
    virtual RunOut run(uint64_t max_cycles) = 0;
    virtual void trap_ack() = 0;
    virtual bool trap_pending() const = 0;
    virtual bool halted() const = 0;
    virtual bool idle() const = 0;
    virtual size_t retires_queued() const = 0;
    virtual uint64_t retires_lost() const = 0;

    virtual int32_t bind_var(rust::Str path, bool array) = 0;
    virtual VarInfo var_info(int32_t handle) const = 0;
    virtual uint64_t var_read(int32_t handle, int32_t index, uint32_t lsb, uint32_t width) const = 0;
    virtual size_t var_dump(int32_t handle, rust::Slice<uint8_t> out) const = 0;
    virtual void var_read_batch(rust::Slice<const uint64_t> reqs, rust::Slice<uint64_t> out) const = 0;
    virtual void var_read_arrays(rust::Slice<const int32_t> handles, uint32_t count, rust::Slice<uint64_t> out) const = 0;
    virtual rust::Vec<rust::String> public_vars() const = 0;

    virtual bool bind_write_monitor(int32_t req, int32_t we, int32_t addr, bool addr_is_word, int32_t be,
                                    int32_t data, int32_t src, uint32_t src_host_value) = 0;
    virtual uint64_t take_writes(rust::Vec<ObsWrite>& out) = 0;
    virtual void set_write_monitor(bool on) = 0;
    virtual bool bind_timing_skip(int32_t handle) = 0;
    virtual bool bind_table_monitor(rust::Slice<const int32_t> handles, int32_t in_flight) = 0;
    virtual void set_table_monitor(bool on) = 0;
    virtual uint64_t take_table_violation() = 0;
    virtual void table_monitor_self_test() = 0;
    virtual void table_monitor_no_exempt() = 0;
    virtual bool table_monitor_in_model() const = 0;
    virtual uint64_t timed_cycles() const = 0;
    virtual bool bind_checked(rust::Slice<const int32_t> table, size_t reg_base_field,
                              rust::Slice<const int32_t> globals, int32_t dmem) = 0;
    virtual void run_checked(uint64_t max_cycles, rust::Slice<ObsWrite> writes, rust::Slice<uint64_t> table,
                             CheckedOut& out) = 0;
    virtual uint32_t run_checked_many(uint64_t max_cycles, rust::Slice<ObsWrite> writes, rust::Slice<uint64_t> table,
                                      rust::Slice<uint64_t> rows, rust::Slice<CheckedOut> outs) = 0;

    virtual bool traced() const = 0;
    virtual void set_fast_edges(bool on) = 0;
    virtual bool vcd_open(rust::Str path) = 0;
    virtual void vcd_arm(rust::Str path, uint64_t from, uint64_t to) = 0;
    virtual int32_t vcd_error() const = 0;
    virtual void vcd_clear_error() = 0;
    virtual void vcd_close() = 0;
    virtual bool vcd_is_open() const = 0;

    // Code coverage (meaningful for the coverage model; the others have no counters and
    // write a file with no points). The counters belong to this model's own context.
    // Write them in Verilator's coverage.dat format; "" or why the file is not written.
    virtual rust::String coverage_write(rust::Str path) = 0;
    virtual void coverage_zero() = 0;
    // The raw counters (the model's `__Vcoverage` array; 0 of them for the other models).
    virtual size_t coverage_len() const = 0;
    virtual void coverage_counts(rust::Slice<uint32_t> out) const = 0;
    // The layout of the raw counters: set counter i to i + 1, write one line per
    // instance (forcePerInstance) to `path`, zero the counters. "" or why not.
    virtual rust::String coverage_write_layout(rust::Str path) = 0;
};

std::unique_ptr<RtlModel> new_model(uint16_t mutant, bool monitors, bool trace);
std::unique_ptr<RtlModel> new_cov_model();
rust::String vcd_to_fst(rust::Str vcd_path, rust::Str fst_path);
rust::String verilator_version();

}  // namespace hsx_sim
