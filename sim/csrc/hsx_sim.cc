// C++ driver of the Verilated HSX models. See hsx_sim.h and docs/sim.md.
//
// Clocking: one `edge()` is one clock cycle: clk low + eval (inputs settle; the data RAM
// write port is sampled here, i.e. what the coming rising edge commits), clk high + eval
// (the rising edge; the retire port is sampled after it). The hot loops (`run`, `tick`,
// host-bus transactions) stay in C++ so that Rust crosses the FFI once per event.
//
// The falling edge's eval does nothing in this design (no logic on the falling clock; the
// inputs settled in the eval after the driver last changed them), so when no VCD is open
// and the inputs are settled `edge()` skips it: it marks the clock as having been low for
// Verilator's edge detection and evaluates the rising edge only — one eval per cycle
// instead of two (docs/benchmarks.md; `fast_edges_match_full_edges` in sim's tests runs
// both ways and compares every retire, write and cycle).

#include "hsx-sim/csrc/hsx_sim.h"
#include "hsx-sim/src/ffi.rs.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <unistd.h>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "verilated.h"
#include "verilated_cov.h"
#include "verilated_syms.h"
#include "verilated_vcd_c.h"

#include "Vhsx.h"
#include "Vhsx___024root.h"
#include "Vhsx_mon.h"
#include "Vhsx_mon___024root.h"
#include "Vhsx_trc.h"
#include "Vhsx_trc___024root.h"
#include "Vhsx_mut.h"
#include "Vhsx_mut___024root.h"
#include "Vhsx_cov.h"
#include "Vhsx_cov__Syms.h"

// A public variable's packed shape, for every Verilator this builds with: 5.006 has
// `VerilatedVarProps::packed()` (one range); 5.04x has `packedRanges()` (one range per packed
// dimension) and no `packed()`, and its `elements(0)`/`low(0)` describe a range that is never
// filled in for variables inserted by the generated symbol table.
struct PackedShape {
    int low;
    int high;
    uint32_t bits;
};
template <typename V>
static auto packed_shape(const V* v, int) -> decltype(v->packedRanges(), PackedShape()) {
    const auto& ranges = v->packedRanges();
    if (ranges.empty()) return PackedShape{0, 0, 1};
    uint32_t bits = 1;
    for (const auto& r : ranges) bits *= static_cast<uint32_t>(r.elements());
    return PackedShape{ranges.front().low(), ranges.front().high(), bits};
}
template <typename V>
static auto packed_shape(const V* v, long) -> decltype(v->packed(), PackedShape()) {
    return PackedShape{v->packed().low(), v->packed().high(), static_cast<uint32_t>(v->packed().elements())};
}

namespace hsx_sim {
namespace {

// VCD time units per clock cycle (rising edge n at time n * kVcdPeriod).
constexpr uint64_t kVcdPeriod = 10;
constexpr size_t kRetireRing = 1024;
constexpr size_t kWriteRing = 1 << 16;
// run_checked_many starts a retire only with this much room left for its writes.
constexpr size_t kManyWriteRoom = 16;

// The VCD file the tracer writes through. Verilator's own file calls its fatal handler
// on a write error (a full disk), which deadlocks in its flush callback; this one
// records the first error, discards what follows (the tracer must not loop on a short
// write) and lets the caller end the run with a clear message.
class TraceFile final : public VerilatedVcdFile {
public:
    bool open(const std::string& name) override {
        fd_ = ::open(name.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0666);
        if (fd_ < 0) {
            err_ = errno;
            return false;
        }
        return true;
    }
    void close() override {
        if (fd_ >= 0) {
            if (::close(fd_) != 0 && err_ == 0) err_ = errno;
            fd_ = -1;
        }
    }
    ssize_t write(const char* bufp, ssize_t len) override {
        if (err_ != 0 || fd_ < 0) return len;  // failed already: discard
        ssize_t done = 0;
        while (done < len) {
            const ssize_t got = ::write(fd_, bufp + done, static_cast<size_t>(len - done));
            if (got > 0) {
                done += got;
            } else if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
                continue;
            } else {
                err_ = got < 0 ? errno : EIO;
                return len;
            }
        }
        return len;
    }
    int error() const { return err_; }

private:
    int fd_ = -1;
    int err_ = 0;
};

// Does the model have a `mutant_i` input?
template <class T, class = void>
struct HasMutant : std::false_type {};
template <class T>
struct HasMutant<T, std::void_t<decltype(std::declval<T&>().mutant_i)>> : std::true_type {};

// Was the model verilated with `--trace`?
template <class T, class = void>
struct HasTrace : std::false_type {};
template <class T>
struct HasTrace<T, std::void_t<decltype(std::declval<T&>().trace(static_cast<VerilatedVcdC*>(nullptr), 0))>>
    : std::true_type {};

// Does the model keep the clock's previous value for its edge detection where the driver
// can set it (Verilator 5.006's `__Vtrigrprev__TOP__clk_i`)? Without it every cycle takes
// two evals.
template <class T, class = void>
struct HasClkPrev : std::false_type {};
template <class T>
struct HasClkPrev<T, std::void_t<decltype(std::declval<T&>().rootp->__Vtrigrprev__TOP__clk_i)>> : std::true_type {};

// Bits [lsb, lsb + width) of one element of a Verilated variable.
uint64_t load_bits(const void* p, int vltype, uint32_t total_bits, uint32_t lsb, uint32_t width) {
    if (width == 0) return 0;
    if (width > 64) width = 64;
    uint64_t v = 0;
    switch (vltype) {
    case VLVT_UINT8: v = *static_cast<const CData*>(p); break;
    case VLVT_UINT16: v = *static_cast<const SData*>(p); break;
    case VLVT_UINT32: v = *static_cast<const IData*>(p); break;
    case VLVT_UINT64: v = *static_cast<const QData*>(p); break;
    case VLVT_WDATA: {
        const EData* w = static_cast<const EData*>(p);
        for (uint32_t i = 0; i < width; ++i) {
            const uint32_t b = lsb + i;
            if (b >= total_bits) break;
            v |= static_cast<uint64_t>((w[b >> 5] >> (b & 31)) & 1u) << i;
        }
        return v;
    }
    default: return 0;
    }
    if (lsb >= 64) return 0;
    v >>= lsb;
    if (width < 64) v &= (uint64_t{1} << width) - 1;
    return v;
}

// A bound public variable.
struct Var {
    const VerilatedVar* var = nullptr;
    int vltype = 0;
    uint32_t width = 0;
    int udims = 0;
    int ulow = 0;
    int uhigh = 0;
    bool bit_array = false;  // 1-bit elements registered as a packed range (see bind_var)
    // Address of element `ulow` and the distance between elements, computed once at bind
    // time (the model's storage never moves), so a read is one multiply-add.
    const char* base = nullptr;
    ptrdiff_t stride = 0;

    const void* fast_elem(int32_t index) const {
        if (udims == 0) return base;
        if (index < ulow || index > uhigh) return nullptr;
        return base + static_cast<ptrdiff_t>(index - ulow) * stride;
    }

    const void* elem(int32_t index) const {
        void* d = var->datap();
        if (bit_array) {
            if (index < ulow || index > uhigh) return nullptr;
            return static_cast<const char*>(d) + static_cast<size_t>(index - ulow) * var->entSize();
        }
        if (udims == 0) return d;
        if (udims != 1) return nullptr;
        return var->datapAdjustIndex(d, 1, index);
    }
};

// A scalar signal sampled every cycle by the write monitor.
struct Sig {
    const void* p = nullptr;
    int vltype = 0;
    uint32_t width = 0;
    // The whole element (what load_bits(p, vltype, width, 0, 64) returns), inlined: it is
    // read on every cycle.
    __attribute__((always_inline)) inline uint64_t get() const {
        switch (vltype) {
        case VLVT_UINT8: return *static_cast<const CData*>(p);
        case VLVT_UINT16: return *static_cast<const SData*>(p);
        case VLVT_UINT32: return *static_cast<const IData*>(p);
        case VLVT_UINT64: return *static_cast<const QData*>(p);
        default: return load_bits(p, vltype, width, 0, 64);
        }
    }
};

template <class M>
class Impl final : public RtlModel {
public:
    explicit Impl(uint16_t mutant) : mutant_{mutant} {
        ctx_ = std::make_unique<VerilatedContext>();
        ctx_->traceEverOn(true);
        ctx_->randReset(0);
        ctx_->fatalOnError(false);
        Verilated::threadContextp(ctx_.get());
        top_ = std::make_unique<M>(ctx_.get(), "TOP");
        retires_.resize(kRetireRing);
        find_sv_table_monitor();
        reset(4);
    }

    ~Impl() override {
        enter();
        vcd_close();
        top_->final();
        top_.reset();
    }

    void reset(uint32_t cycles) override {
        enter();
        vcd_close();  // the time axis restarts at 0
        idle_inputs();
        run_ = false;
        top_->run_i = 0;
        top_->rst_ni = 0;
        top_->clk_i = 0;
        settled_ = false;
        top_->eval();
        const bool mon = mon_on_;
        mon_on_ = false;
        for (uint32_t i = 0; i < cycles; ++i) edge();
        top_->rst_ni = 1;
        top_->eval();
        settled_ = true;
        mon_on_ = mon;
        if (svm_enable_) *svm_enable_ = svm_on_;  // the checker's reset cleared it
        cycles_ = 0;
        timed_ = 0;
        rq_head_ = rq_len_ = 0;
        rq_lost_ = 0;
        wq_head_ = wq_len_ = 0;
        wq_lost_ = 0;
        ck_valid_ = false;
    }

    uint64_t cycles() const override { return cycles_; }

    void tick(uint64_t n) override {
        enter();
        for (uint64_t i = 0; i < n; ++i) edge();
    }

    bool hb_access(bool we, uint8_t space, uint16_t addr, uint32_t wdata, uint8_t be,
                   uint32_t max_cycles, uint32_t& rdata) override {
        enter();
        top_->hb_req_i = 1;
        top_->hb_we_i = we;
        top_->hb_space_i = space;
        top_->hb_addr_i = addr;
        top_->hb_wdata_i = wdata;
        top_->hb_be_i = be;
        settled_ = false;
        bool ok = false;
        for (uint32_t i = 0; i < max_cycles; ++i) {
            edge();
            if (top_->hb_ack_o) {
                rdata = top_->hb_rdata_o;
                ok = true;
                break;
            }
        }
        idle_inputs();
        top_->eval();
        settled_ = true;
        return ok;
    }

    void set_run(bool run) override {
        // Unchanged and evaluated already: an eval would change nothing.
        if (run == run_ && settled_ && top_->run_i == run) return;
        enter();
        run_ = run;
        top_->run_i = run;
        top_->eval();
        settled_ = true;
    }
    bool get_run() const override { return run_; }

    RunOut run(uint64_t max_cycles) override {
        RunOut out{};
        run_into(out, max_cycles);
        return out;
    }

    // `run`, into the caller's record: a retire seen by the clock loop is written there
    // field by field, once (through the retire queue and a by-value return it was copied
    // twice, each copy reading with wide loads what narrow stores had just written — a
    // store-forwarding stall per retire).
    void run_into(RunOut& out, uint64_t max_cycles) {
        enter();
        out.kind = 0;
        if (rq_len_ != 0) {
            out.retire = pop_retire();
            return;
        }
        if (top_->trap_o) {
            out.kind = 1;
            out.trap = trap_rec();
            return;
        }
        for (uint64_t n = 0; n < max_cycles; ++n) {
            if (edge(&out.retire)) return;  // kind 0
            if (rq_len_ != 0) {
                out.retire = pop_retire();
                return;
            }
            if (top_->trap_o) {
                out.kind = 1;
                out.trap = trap_rec();
                return;
            }
            if (!run_ && top_->halted_o) {
                out.kind = 3;
                return;
            }
            if (top_->idle_o) {
                out.kind = 2;
                return;
            }
        }
        out.kind = 4;
    }

    void trap_ack() override {
        enter();
        top_->trap_ack_i = 1;
        settled_ = false;
        edge();
        top_->trap_ack_i = 0;
        top_->eval();
        settled_ = true;
    }

    bool trap_pending() const override { return top_->trap_o; }
    bool halted() const override { return top_->halted_o; }
    bool idle() const override { return top_->idle_o; }
    size_t retires_queued() const override { return rq_len_; }
    uint64_t retires_lost() const override { return rq_lost_; }

    int32_t bind_var(rust::Str path, bool array) override {
        const std::string full(path);
        const size_t dot = full.rfind('.');
        if (dot == std::string::npos) return -1;
        const std::string scope_name = full.substr(0, dot);
        const std::string var_name = full.substr(dot + 1);
        const VerilatedScope* scope = ctx_->scopeFind(("TOP." + scope_name).c_str());
        if (!scope) scope = ctx_->scopeFind(scope_name.c_str());
        if (!scope) return -1;
        const VerilatedVar* v = scope->varFind(var_name.c_str());
        if (!v) return -1;
        Var b;
        b.var = v;
        b.vltype = v->vltype();
        const PackedShape shape = packed_shape(v, 0);
        b.width = shape.bits;
        b.udims = v->udims();
        if (b.udims >= 1) {
            b.ulow = v->low(1);
            b.uhigh = v->high(1);
        } else if (array && b.vltype == VLVT_UINT8 && b.width > 1) {
            // `logic x [N]`: Verilator's table gives the unpacked range as dimension 0.
            b.bit_array = true;
            b.udims = 1;
            b.ulow = shape.low;
            b.uhigh = shape.high;
            b.width = 1;
        }
        b.base = static_cast<const char*>(b.elem(b.udims == 0 ? 0 : b.ulow));
        if (b.udims == 1 && b.uhigh > b.ulow) {
            b.stride = static_cast<const char*>(b.elem(b.ulow + 1)) - b.base;
        }
        vars_.push_back(b);
        return static_cast<int32_t>(vars_.size() - 1);
    }

    VarInfo var_info(int32_t handle) const override {
        VarInfo i{};
        const Var* b = var(handle);
        if (!b) return i;
        i.vltype = static_cast<uint8_t>(b->vltype);
        i.width = b->width;
        i.udims = b->udims;
        i.ulow = b->ulow;
        i.uhigh = b->uhigh;
        return i;
    }

    uint64_t var_read(int32_t handle, int32_t index, uint32_t lsb, uint32_t width) const override {
        const Var* b = var(handle);
        if (!b) return 0;
        const void* p = b->elem(index);
        if (!p) return 0;
        return load_bits(p, b->vltype, b->width, lsb, width);
    }

    void var_read_batch(rust::Slice<const uint64_t> reqs, rust::Slice<uint64_t> out) const override {
        const size_t n = std::min(reqs.size(), out.size());
        const uint64_t* rq = reqs.data();
        uint64_t* o = out.data();
        for (size_t k = 0; k < n; ++k) {
            const int32_t handle = static_cast<int32_t>(rq[k] >> 32);
            const int32_t index = static_cast<int32_t>(static_cast<uint32_t>(rq[k]));
            const Var* b = var(handle);
            const void* p = b ? b->fast_elem(index) : nullptr;
            o[k] = p ? load_bits(p, b->vltype, b->width, 0, 64) : 0;
        }
    }

    void var_read_arrays(rust::Slice<const int32_t> handles, uint32_t count, rust::Slice<uint64_t> out) const override {
        const int32_t* h = handles.data();
        uint64_t* o = out.data();
        const size_t n = handles.size();
        if (out.size() < n * count) return;
        for (size_t k = 0; k < n; ++k) {
            const Var* b = var(h[k]);
            uint64_t* dst = o + k * count;
            if (!b || b->udims != 1 || b->uhigh - b->ulow + 1 < static_cast<int32_t>(count) || !b->base) {
                for (uint32_t e = 0; e < count; ++e) {
                    const void* p = b ? b->fast_elem(b ? b->ulow + static_cast<int32_t>(e) : 0) : nullptr;
                    dst[e] = p ? load_bits(p, b->vltype, b->width, 0, 64) : 0;
                }
                continue;
            }
            // The element type is fixed per array: one switch, then a plain strided copy.
            const char* base = b->base;
            const ptrdiff_t st = b->stride;
            switch (b->vltype) {
            case VLVT_UINT8:
                for (uint32_t e = 0; e < count; ++e) dst[e] = *reinterpret_cast<const CData*>(base + e * st);
                break;
            case VLVT_UINT16:
                for (uint32_t e = 0; e < count; ++e) dst[e] = *reinterpret_cast<const SData*>(base + e * st);
                break;
            case VLVT_UINT32:
                for (uint32_t e = 0; e < count; ++e) dst[e] = *reinterpret_cast<const IData*>(base + e * st);
                break;
            case VLVT_UINT64:
                for (uint32_t e = 0; e < count; ++e) dst[e] = *reinterpret_cast<const QData*>(base + e * st);
                break;
            default:
                for (uint32_t e = 0; e < count; ++e) dst[e] = load_bits(base + e * st, b->vltype, b->width, 0, 64);
            }
        }
    }

    size_t var_dump(int32_t handle, rust::Slice<uint8_t> out) const override {
        const Var* b = var(handle);
        if (!b || b->udims != 1 || b->width > 64) return 0;
        const size_t nbytes = (b->width + 7) / 8;
        const size_t n = static_cast<size_t>(b->uhigh - b->ulow + 1);
        const size_t fit = std::min(n, out.size() / nbytes);
        const void* first = b->elem(b->ulow);
        // Fast path: contiguous 32-bit elements in ascending order on a little-endian host.
        if (b->vltype == VLVT_UINT32 && nbytes == 4 && first
            && static_cast<const char*>(b->elem(b->uhigh)) - static_cast<const char*>(first)
                   == static_cast<std::ptrdiff_t>((n - 1) * 4)
            && little_endian()) {
            std::memcpy(out.data(), first, fit * 4);
            return fit * 4;
        }
        size_t o = 0;
        for (size_t i = 0; i < fit; ++i) {
            const void* p = b->elem(b->ulow + static_cast<int32_t>(i));
            const uint64_t v = p ? load_bits(p, b->vltype, b->width, 0, 64) : 0;
            for (size_t k = 0; k < nbytes; ++k) out[o++] = static_cast<uint8_t>(v >> (8 * k));
        }
        return o;
    }

    rust::Vec<rust::String> public_vars() const override {
        rust::Vec<rust::String> names;
        const VerilatedScopeNameMap* scopes = ctx_->scopeNameMap();
        if (!scopes) return names;
        for (const auto& s : *scopes) {
            const VerilatedVarNameMap* vars = s.second->varsp();
            if (!vars) continue;
            for (const auto& v : *vars) {
                names.push_back(rust::String(std::string(s.first) + "." + v.first));
            }
        }
        return names;
    }

    bool bind_write_monitor(int32_t req, int32_t we, int32_t addr, bool addr_is_word, int32_t be,
                            int32_t data, int32_t src, uint32_t src_host_value) override {
        Sig s[6];
        const int32_t hs[6] = {we, addr, be, data, src, req};
        for (int i = 0; i < 6; ++i) {
            if (i == 5 && hs[i] < 0) break;  // no req: we alone
            if (!scalar(hs[i], s[i])) return false;
        }
        mon_we_ = s[0];
        mon_addr_ = s[1];
        mon_be_ = s[2];
        mon_data_ = s[3];
        mon_src_ = s[4];
        mon_req_ = s[5];
        mon_addr_is_word_ = addr_is_word;
        mon_src_host_ = src_host_value;
        writes_.resize(kWriteRing);
        wq_head_ = wq_len_ = 0;
        wq_lost_ = 0;
        mon_bound_ = true;
        mon_on_ = true;
        return true;
    }

    uint64_t take_writes(rust::Vec<ObsWrite>& out) override {
        out.reserve(out.size() + wq_len_);
        for (size_t i = 0; i < wq_len_; ++i) out.push_back(writes_[(wq_head_ + i) % kWriteRing]);
        wq_head_ = wq_len_ = 0;
        const uint64_t lost = wq_lost_;
        wq_lost_ = 0;
        return lost;
    }

    void set_write_monitor(bool on) override { mon_on_ = on && mon_bound_; }

    // The task-table stability monitor (hardware.md: task-table fields change only at step
    // boundaries or by a command, never while an instruction is in flight). `handles`:
    // the table's arrays and the machine registers; `in_flight`: the scalar that says an
    // instruction is in flight.
    bool bind_table_monitor(rust::Slice<const int32_t> handles, int32_t in_flight) override {
        tbl_.clear();
        Sig f;
        if (!scalar(in_flight, f)) return false;
        tbl_inflight_ = f;
        size_t total = 0;
        for (const int32_t h : handles) {
            const Var* b = var(h);
            if (!b || !b->base) return false;
            const size_t n = b->udims == 0 ? 1 : static_cast<size_t>(b->uhigh - b->ulow + 1);
            const size_t bytes = b->udims == 0 ? static_cast<size_t>(b->var->entSize())
                                               : static_cast<size_t>(b->stride) * (n - 1) + b->var->entSize();
            tbl_.push_back({b->base, bytes});
            total += bytes;
        }
        tbl_snap_.assign(total, 0);
        return true;
    }
    // In the monitor model the rule is checked by the bound SystemVerilog checker
    // (rtl/monitors/hsx_table_monitor.sv), read once per retire; elsewhere by comparing a
    // snapshot of the table on every edge inside an instruction (edge()).
    void set_table_monitor(bool on) override {
        if (svm_enable_) {
            svm_on_ = on;
            *svm_enable_ = on;
            tbl_on_ = false;
        } else {
            tbl_on_ = on && !tbl_.empty();
        }
        tbl_valid_ = false;
    }
    void table_monitor_self_test() override {
        if (svm_selftest_) {
            *svm_selftest_ |= 1;
        } else {
            tbl_selftest_ = true;
        }
    }
    void table_monitor_no_exempt() override {
        if (svm_selftest_) {
            *svm_selftest_ |= 2;
        } else {
            tbl_noexempt_ = true;
        }
    }
    bool table_monitor_in_model() const override { return svm_viol_ != nullptr; }
    uint64_t take_table_violation() override {
        if (svm_viol_) {
            const uint64_t c = *svm_viol_;
            *svm_viol_ = 0;
            return c;
        }
        const uint64_t c = tbl_violation_;
        tbl_violation_ = 0;
        return c;
    }

    // The lockstep's per-retire batch (DiffTest's idea): one crossing per retire carries
    // the retire record, the observed writes, the table violation, the machine registers,
    // the retiring task's window and only the task-table elements that changed.
    bool bind_checked(rust::Slice<const int32_t> table, size_t reg_base_field, rust::Slice<const int32_t> globals,
                      int32_t dmem) override {
        ck_bound_ = false;
        ck_fields_.clear();
        ck_n_ = 0;
        for (const int32_t h : table) {
            const Var* b = var(h);
            if (!b || b->udims != 1 || !b->base || b->width > 64) return false;
            const uint32_t n = static_cast<uint32_t>(b->uhigh - b->ulow + 1);
            if (ck_fields_.empty()) {
                ck_n_ = n;
            } else if (n != ck_n_) {
                return false;
            }
            ck_fields_.push_back(Field{b->base, b->stride, field_kind(*b), b->vltype, b->width});
        }
        if (ck_n_ == 0 || ck_n_ > 32 || ck_fields_.size() > 32 || reg_base_field >= ck_fields_.size() ||
            globals.size() != 6)
            return false;
        ck_all_fields_ = ck_fields_.size() == 32 ? ~0u : ((1u << ck_fields_.size()) - 1);
        ck_reg_base_ = reg_base_field;
        for (size_t i = 0; i < 6; ++i) {
            if (!scalar(globals[i], ck_g_[i])) return false;
        }
        const Var* d = var(dmem);
        if (!d || d->udims != 1 || d->vltype != VLVT_UINT32) return false;
        ck_dmem_ = dmem;
        ck_valid_ = false;
        ck_bound_ = true;
        return true;
    }

    void run_checked(uint64_t max_cycles, rust::Slice<ObsWrite> writes, rust::Slice<uint64_t> table,
                     CheckedOut& out) override {
        checked_into(max_cycles, writes.data(), writes.size(), table.data(), table.size(), out);
    }

    // run_checked on raw buffers (a rust::Slice's size() and data() are calls into Rust,
    // not inlined: read once per crossing, not per element).
    void checked_into(uint64_t max_cycles, ObsWrite* writes, size_t writes_room, uint64_t* t, size_t table_len,
                      CheckedOut& out) {
        // The core runs (run_i high) to its next retire: no crossing of its own for that.
        set_run(true);
        run_into(out.run, max_cycles);
        if (out.run.kind != 0) return;
        // Observed writes: as many as the caller's buffer holds.
        const size_t nw = std::min(wq_len_, writes_room);
        for (size_t i = 0; i < nw; ++i) writes[i] = writes_[(wq_head_ + i) % kWriteRing];
        wq_head_ = (wq_head_ + nw) % kWriteRing;
        wq_len_ -= nw;
        if (wq_len_ == 0) wq_head_ = 0;
        out.n_writes = static_cast<uint32_t>(nw);
        out.more_writes = wq_len_ != 0;
        out.writes_lost = wq_lost_;
        wq_lost_ = 0;
        out.table_violation = take_table_violation();
        out.changed_slots = 0;
        if (!ck_bound_) return;
        // The task table: compare with the caller's copy, rewrite what changed.
        const uint32_t n = ck_n_;
        const size_t nf = ck_fields_.size();
        if (table_len < nf * n) return;
        const uint32_t all = n == 32 ? ~0u : ((1u << n) - 1);
        uint32_t changed = ck_valid_ ? 0u : all;
        // The slots to compare: all of them, or — in the monitor model — only those the
        // scheduler wrote since the last retire (its checker's `dirty_q`), and of those only
        // the fields it wrote (`dirty_field_q`), with every field of every slot compared
        // again every kFullEvery retires and after a reset.
        uint32_t rows = all;
        uint32_t cols = ~0u;
        if (svm_dirty_) {
            if (ck_valid_ && ck_since_full_ < kFullEvery) {
                rows = *svm_dirty_ & all;
                if (svm_dirty_fields_) cols = *svm_dirty_fields_;
                ++ck_since_full_;
            } else {
                ck_since_full_ = 0;
            }
            *svm_dirty_ = 0;
            if (svm_dirty_fields_) *svm_dirty_fields_ = 0;
        }
        // Slot by slot (usually one: the retiring task's), each field through the
        // descriptor bound once (address, stride, element type).
        for (uint32_t r = rows; r != 0; r &= r - 1) {
            const uint32_t e = static_cast<uint32_t>(__builtin_ctz(r));
            // The caller's copy is slot-major: slot e's fields are consecutive.
            uint64_t* row = t + e * nf;
            bool diff = false;
            // The fields to read, bit by bit (bind_checked keeps them at most 32).
            for (uint32_t c = cols & ck_all_fields_; c != 0; c &= c - 1) {
                const size_t k = static_cast<size_t>(__builtin_ctz(c));
                const Field& f = ck_fields_[k];
                uint64_t* dst = row + k;
                const char* p = f.base + e * f.stride;
                uint64_t v;
                switch (f.kind) {
                case 1: v = *reinterpret_cast<const CData*>(p); break;
                case 2: v = *reinterpret_cast<const SData*>(p); break;
                case 4: v = *reinterpret_cast<const IData*>(p); break;
                case 8: v = *reinterpret_cast<const QData*>(p); break;
                default: v = load_bits(p, f.vltype, f.width, 0, 64);
                }
                if (v != *dst) {
                    *dst = v;
                    diff = true;
                }
            }
            if (diff) changed |= 1u << e;
        }
        ck_valid_ = true;
        out.changed_slots = changed;
        out.current = static_cast<uint8_t>(ck_g_[0].get());
        out.last_ran = static_cast<uint8_t>(ck_g_[1].get());
        out.steps = ck_g_[2].get();
        out.ticks = ck_g_[3].get();
        out.stack_region_lo = static_cast<uint32_t>(ck_g_[4].get());
        out.protect = ck_g_[5].get() != 0;
        // The retiring task's window, at its slot's reg_base (16-bit address arithmetic,
        // as peek_window).
        const uint8_t pid = out.run.retire.pid;
        if (pid >= 1 && pid <= n) {
            const Var* d = var(ck_dmem_);
            const uint16_t rb = static_cast<uint16_t>(t[(pid - 1) * nf + ck_reg_base_]);
            // Without 16-bit wrap-around the 16 words are consecutive elements
            // ((rb + 4i) >> 2 == (rb >> 2) + i): one copy when they are all in range.
            const int32_t first = d->ulow + (rb >> 2);
            if (rb <= 0xFFFF - 60 && first + 15 <= d->uhigh && d->stride == sizeof(IData)) {
                std::memcpy(out.window.data(), d->fast_elem(first), 16 * sizeof(IData));
                return;
            }
            for (uint32_t i = 0; i < 16; ++i) {
                const uint16_t a = static_cast<uint16_t>(rb + 4 * i);
                const void* p = d->fast_elem(d->ulow + (a >> 2));
                out.window[i] = p ? *static_cast<const IData*>(p) : 0;
            }
        } else {
            for (uint32_t i = 0; i < 16; ++i) out.window[i] = 0;
        }
    }

    // The lockstep's run-ahead: up to outs.size() calls of run_checked in one crossing,
    // each into outs[i], with its writes appended to `writes` (outs[i].n_writes of them)
    // and, for each slot it changed, that slot's row of `table` appended to `rows` (as the
    // caller's copy stood after that retire). Stops after the first event that is not a
    // retire (left in its out, as run_checked leaves it), after a retire whose writes did
    // not all fit or were lost, and before a retire for which `writes` or `rows` might
    // lack room. The calls are exactly those the caller would make one by one, so the
    // model goes through the same cycles. Returns the outs filled.
    uint32_t run_checked_many(uint64_t max_cycles, rust::Slice<ObsWrite> writes, rust::Slice<uint64_t> table,
                              rust::Slice<uint64_t> rows, rust::Slice<CheckedOut> outs) override {
        const size_t nf = ck_fields_.size();
        const size_t all_rows = nf * ck_n_;
        ObsWrite* const w = writes.data();
        uint64_t* const t = table.data();
        uint64_t* const rw = rows.data();
        CheckedOut* const os = outs.data();
        const size_t n_w = writes.size(), n_t = table.size(), n_r = rows.size(), n_o = outs.size();
        size_t wo = 0, ro = 0;
        uint32_t k = 0;
        while (k < n_o) {
            if (n_w - wo < kManyWriteRoom || n_r - ro < all_rows) break;
            CheckedOut& o = os[k++];
            checked_into(max_cycles, w + wo, n_w - wo, t, n_t, o);
            if (o.run.kind != 0) break;
            wo += o.n_writes;
            for (uint32_t r = o.changed_slots; r != 0; r &= r - 1) {
                const size_t e = static_cast<size_t>(__builtin_ctz(r));
                if (e >= ck_n_) break;
                std::memcpy(rw + ro, t + e * nf, nf * sizeof(uint64_t));
                ro += nf;
            }
            if (o.more_writes || o.writes_lost != 0) break;
        }
        return k;
    }

    bool bind_timing_skip(int32_t handle) override {
        if (handle < 0) {
            skip_ = Sig{};
            return true;
        }
        Sig s;
        if (!scalar(handle, s)) return false;
        skip_ = s;
        return true;
    }

    uint64_t timed_cycles() const override { return timed_; }

    bool traced() const override { return HasTrace<M>::value; }
    void set_fast_edges(bool on) override { fast_edges_ = on; }

    bool vcd_open(rust::Str path) override {
        enter();
        vcd_close();
        vcd_path_ = std::string(path);
        return open_now();
    }

    void vcd_arm(rust::Str path, uint64_t from, uint64_t to) override {
        enter();
        vcd_close();
        vcd_path_ = std::string(path);
        vcd_to_ = to;
        vcd_next_ = from;
        vcd_armed_ = true;
        if (cycles_ >= from) {
            vcd_armed_ = false;
            vcd_next_ = to == kNever ? kNever : to + 1;
            open_now();
        }
    }

    void vcd_close() override {
        vcd_armed_ = false;
        vcd_next_ = kNever;
        if (vcd_paused_) vcd_ = std::move(vcd_paused_);
        if (vcd_) {
            enter();
            vcd_->close();
            vcd_.reset();
            if (vcd_file_ && vcd_file_->error() != 0 && vcd_err_ == 0) vcd_err_ = vcd_file_->error();
            vcd_file_.reset();
        }
    }

    int32_t vcd_error() const override {
        if (vcd_err_ != 0) return vcd_err_;
        return vcd_file_ ? vcd_file_->error() : 0;
    }

    void vcd_clear_error() override { vcd_err_ = 0; }

    bool vcd_is_open() const override { return static_cast<bool>(vcd_) || static_cast<bool>(vcd_paused_); }

private:
    static constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

    bool open_now() {
        if constexpr (!HasTrace<M>::value) {
            // Built without the tracer (the Rust side checks `traced()` first).
            if (vcd_err_ == 0) vcd_err_ = ENOTSUP;
            return false;
        } else {
            return open_traced();
        }
    }

    bool open_traced() {
        auto f = std::make_unique<TraceFile>();
        auto t = std::make_unique<VerilatedVcdC>(f.get());
        top_->trace(t.get(), 99);
        t->set_time_unit("1ns");
        t->set_time_resolution("1ns");
        t->open(vcd_path_.c_str());
        if (!t->isOpen() || f->error() != 0) {
            if (vcd_err_ == 0) vcd_err_ = f->error() != 0 ? f->error() : EIO;
            return false;
        }
        vcd_file_ = std::move(f);
        vcd_ = std::move(t);
        // Initial values at the current time.
        vcd_->dump(cycles_ * kVcdPeriod);
        return true;
    }

    // The armed window's next event (open at `from`, stop after `to`).
    void vcd_event() {
        if (vcd_armed_) {
            vcd_armed_ = false;
            vcd_next_ = vcd_to_ == kNever ? kNever : vcd_to_ + 1;
            open_now();
        } else {
            vcd_next_ = kNever;
            if (vcd_) vcd_->flush();
            // Stop dumping, keep the file (closed by vcd_close).
            vcd_paused_ = std::move(vcd_);
        }
    }

    // The monitor model's table checker: its public controls, if this model has it.
    void find_sv_table_monitor() {
        const VerilatedScope* sc = ctx_->scopeFind("TOP.hsx_top.u_table_monitor");
        if (!sc) return;
        const VerilatedVar* en = sc->varFind("enable_q");
        const VerilatedVar* st = sc->varFind("selftest_q");
        const VerilatedVar* vc = sc->varFind("viol_cycle_q");
        if (!en || !st || !vc || en->vltype() != VLVT_UINT8 || st->vltype() != VLVT_UINT8
            || vc->vltype() != VLVT_UINT64) {
            return;
        }
        svm_enable_ = static_cast<CData*>(en->datap());
        svm_selftest_ = static_cast<CData*>(st->datap());
        svm_viol_ = static_cast<QData*>(vc->datap());
        const VerilatedVar* dq = sc->varFind("dirty_q");
        if (dq && dq->vltype() == VLVT_UINT32) svm_dirty_ = static_cast<IData*>(dq->datap());
        const VerilatedVar* df = sc->varFind("dirty_field_q");
        if (dq && df && df->vltype() == VLVT_UINT32) svm_dirty_fields_ = static_cast<IData*>(df->datap());
    }

    // Coverage counters live in this model's own context (VerilatedContext::coveragep()),
    // so models in different threads never share them.
    rust::String coverage_write(rust::Str path) override {
        enter();
        const std::string p(path.data(), path.size());
        {
            // Verilator's writer treats an unopenable file as fatal: check first.
            std::FILE* f = std::fopen(p.c_str(), "w");
            if (!f) return rust::String(std::string("cannot write ") + p + ": " + std::strerror(errno));
            std::fclose(f);
        }
        ctx_->coveragep()->write(p.c_str());
        return rust::String();
    }

    void coverage_zero() override {
        enter();
        ctx_->coveragep()->zero();
    }

    size_t coverage_len() const override {
        if constexpr (std::is_same_v<M, Vhsx_cov>) {
            return sizeof(top_->rootp->vlSymsp->__Vcoverage) / sizeof(top_->rootp->vlSymsp->__Vcoverage[0]);
        } else {
            return 0;
        }
    }

    void coverage_counts(rust::Slice<uint32_t> out) const override {
        if constexpr (std::is_same_v<M, Vhsx_cov>) {
            const auto& c = top_->rootp->vlSymsp->__Vcoverage;
            const size_t n = std::min(out.size(), coverage_len());
            for (size_t i = 0; i < n; ++i) out[i] = c[i].load(std::memory_order_relaxed);
        }
    }

    rust::String coverage_write_layout(rust::Str path) override {
        if constexpr (std::is_same_v<M, Vhsx_cov>) {
            auto& c = top_->rootp->vlSymsp->__Vcoverage;
            const size_t n = coverage_len();
            for (size_t i = 0; i < n; ++i) c[i].store(static_cast<uint32_t>(i + 1), std::memory_order_relaxed);
            enter();
            ctx_->coveragep()->forcePerInstance(true);
            rust::String r = coverage_write(path);
            ctx_->coveragep()->forcePerInstance(false);
            for (size_t i = 0; i < n; ++i) c[i].store(0, std::memory_order_relaxed);
            return r;
        } else {
            return coverage_write(path);
        }
    }

    // Verilator keeps a per-thread "current context" (used by $display, $finish,
    // assertions, scope registration); several models may live in one thread, and a
    // model may move between threads, so every entry point sets it.
    void enter() { Verilated::threadContextp(ctx_.get()); }

    static bool little_endian() {
        const uint16_t x = 1;
        uint8_t b;
        std::memcpy(&b, &x, 1);
        return b == 1;
    }

    bool scalar(int32_t handle, Sig& s) const {
        const Var* b = var(handle);
        if (!b || b->udims != 0 || b->width > 64) return false;
        s.p = b->var->datap();
        s.vltype = b->vltype;
        s.width = b->width;
        return true;
    }

    const Var* var(int32_t handle) const {
        if (handle < 0 || static_cast<size_t>(handle) >= vars_.size()) return nullptr;
        return &vars_[static_cast<size_t>(handle)];
    }

    void idle_inputs() {
        top_->hb_req_i = 0;
        top_->hb_we_i = 0;
        top_->hb_space_i = 0;
        top_->hb_addr_i = 0;
        top_->hb_wdata_i = 0;
        top_->hb_be_i = 0;
        top_->trap_ack_i = 0;
        if constexpr (HasMutant<M>::value) top_->mutant_i = mutant_;
    }

    // One clock cycle. A retire goes to `direct` when given and the queue is empty (the
    // return value says so), else to the queue.
    inline bool edge(RetireRec* direct = nullptr) {
        if (VL_UNLIKELY(cycles_ >= vcd_next_)) vcd_event();
        if constexpr (HasClkPrev<M>::value) {
            if (fast_edges_ && settled_ && !vcd_) {
                // Nothing changed since the last eval: the falling edge would evaluate
                // nothing. Let the rising edge's eval see the clock as having been low.
                top_->rootp->__Vtrigrprev__TOP__clk_i = 0;
            } else {
                top_->clk_i = 0;
                top_->eval();
            }
        } else {
            top_->clk_i = 0;
            top_->eval();
        }
        if (mon_on_ && mon_we_.get() && (!mon_req_.p || mon_req_.get())) record_write();
        // Table stability: an edge inside an instruction (no trap service, no host-bus
        // request) that does not end the step must not change the table.
        const bool watch = tbl_on_ && tbl_inflight_.get() && !top_->trap_o && !top_->hb_req_i;
        if (watch && !tbl_valid_) table_snapshot();
        if (!watch) tbl_valid_ = false;
        if (!skip_.p || !skip_.get()) ++timed_;
        if (vcd_) vcd_->dump(cycles_ * kVcdPeriod + kVcdPeriod / 2);
        top_->clk_i = 1;
        top_->eval();
        settled_ = true;
        ++cycles_;
        if (vcd_) vcd_->dump(cycles_ * kVcdPeriod);
        bool took = false;
        if (top_->rvfi_valid_o) {
            if (direct && rq_len_ == 0) {
                fill_retire(*direct);
                took = true;
            } else {
                push_retire();
            }
        }
        // The retire edge may change the table (unless a self-test withdrew that once).
        bool check = watch && !top_->rvfi_valid_o;
        if (VL_UNLIKELY(tbl_noexempt_) && watch && top_->rvfi_valid_o) {
            tbl_noexempt_ = false;
            check = true;
        }
        if (check && table_changed()) {
            if (tbl_violation_ == 0) tbl_violation_ = cycles_;
            tbl_valid_ = false;
        } else if (top_->rvfi_valid_o) {
            tbl_valid_ = false;
        }
        return took;
    }

    void table_snapshot() {
        uint8_t* o = tbl_snap_.data();
        for (const auto& r : tbl_) {
            std::memcpy(o, r.first, r.second);
            o += r.second;
        }
        tbl_valid_ = true;
    }

    bool table_changed() {
        if (tbl_selftest_) {  // as if the table had changed under the instruction
            tbl_selftest_ = false;
            return true;
        }
        const uint8_t* o = tbl_snap_.data();
        for (const auto& r : tbl_) {
            if (std::memcmp(o, r.first, r.second) != 0) return true;
            o += r.second;
        }
        return false;
    }

    void record_write() {
        if (wq_len_ == kWriteRing) {
            ++wq_lost_;
            return;
        }
        ObsWrite& w = writes_[(wq_head_ + wq_len_) % kWriteRing];
        ++wq_len_;
        uint64_t a = mon_addr_.get();
        if (mon_addr_is_word_) a <<= 2;
        w.cycle = cycles_ + 1;
        w.addr = static_cast<uint16_t>(a & 0xFFFC);
        w.be = static_cast<uint8_t>(mon_be_.get() & 0xF);
        w.data = static_cast<uint32_t>(mon_data_.get());
        w.from_host = mon_src_.get() == mon_src_host_;
    }

    void push_retire() {
        if (rq_len_ == kRetireRing) {
            ++rq_lost_;
            return;
        }
        RetireRec& r = retires_[(rq_head_ + rq_len_) % kRetireRing];
        ++rq_len_;
        fill_retire(r);
    }

    void fill_retire(RetireRec& r) const {
        r.cycle = cycles_;
        r.timed = timed_;
        r.step = top_->rvfi_step_o;
        r.pid = top_->rvfi_pid_o;
        r.pc = top_->rvfi_pc_o;
        r.next_pc = top_->rvfi_next_pc_o;
        r.insn_len = top_->rvfi_insn_len_o;
        r.insn0 = top_->rvfi_insn0_o;
        r.insn1 = top_->rvfi_insn1_o;
        r.nwr = top_->rvfi_nwr_o;
        r.wr0_addr = top_->rvfi_wr0_addr_o;
        r.wr0_be = top_->rvfi_wr0_be_o;
        r.wr0_data = top_->rvfi_wr0_data_o;
        r.wr1_addr = top_->rvfi_wr1_addr_o;
        r.wr1_be = top_->rvfi_wr1_be_o;
        r.wr1_data = top_->rvfi_wr1_data_o;
        r.psw = top_->rvfi_psw_o;
        r.sp = top_->rvfi_sp_o;
        r.fault = top_->rvfi_fault_o;
        r.fault_code = top_->rvfi_fault_code_o;
        r.trap = top_->rvfi_trap_o;
        r.trap_mod = top_->rvfi_trap_mod_o;
        r.trap_fn = top_->rvfi_trap_fn_o;
    }

    RetireRec pop_retire() {
        RetireRec r = retires_[rq_head_];
        rq_head_ = (rq_head_ + 1) % kRetireRing;
        --rq_len_;
        return r;
    }

    TrapRec trap_rec() const {
        TrapRec t{};
        t.cause = top_->trap_cause_o;
        t.pid = top_->trap_pid_o;
        t.module = top_->trap_mod_o;
        t.func = top_->trap_fn_o;
        t.pc = top_->trap_pc_o;
        return t;
    }

    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<M> top_;
    std::unique_ptr<TraceFile> vcd_file_;
    std::unique_ptr<VerilatedVcdC> vcd_;
    std::unique_ptr<VerilatedVcdC> vcd_paused_;
    std::string vcd_path_;
    uint64_t vcd_next_ = kNever;
    uint64_t vcd_to_ = kNever;
    bool vcd_armed_ = false;
    int vcd_err_ = 0;
    uint16_t mutant_ = 0;
    bool run_ = false;
    uint64_t cycles_ = 0;
    // The inputs have been evaluated since the driver last changed one (see edge()).
    bool settled_ = false;
    bool fast_edges_ = true;

    std::vector<RetireRec> retires_;
    size_t rq_head_ = 0, rq_len_ = 0;
    uint64_t rq_lost_ = 0;

    std::vector<Var> vars_;

    bool mon_bound_ = false, mon_on_ = false, mon_addr_is_word_ = false;
    uint64_t mon_src_host_ = 1;
    Sig mon_we_, mon_addr_, mon_be_, mon_data_, mon_src_, mon_req_;
    Sig skip_;
    Sig tbl_inflight_;
    std::vector<std::pair<const char*, size_t>> tbl_;
    std::vector<uint8_t> tbl_snap_;
    bool tbl_on_ = false;
    bool tbl_valid_ = false;
    bool tbl_selftest_ = false;
    bool tbl_noexempt_ = false;
    uint64_t tbl_violation_ = 0;
    CData* svm_enable_ = nullptr;
    CData* svm_selftest_ = nullptr;
    QData* svm_viol_ = nullptr;
    IData* svm_dirty_ = nullptr;
    // Bit k: field k (ck_fields_ order, sim/src/probe.rs slot::ALL) written since the last
    // read; the checker lists them in that order.
    IData* svm_dirty_fields_ = nullptr;
    // run_checked compares every slot at least every kFullEvery retires.
    static constexpr uint32_t kFullEvery = 64;
    uint32_t ck_since_full_ = 0;
    bool svm_on_ = false;
    uint64_t timed_ = 0;
    // run_checked's bindings: task-table fields (ck_fields_), slots, reg_base's field index,
    // machine registers, data RAM; `ck_valid_`: the caller's table copy is complete.
    bool ck_bound_ = false, ck_valid_ = false;
    // One per task-table field, bound with it: where element 0 is, the distance between
    // elements, and the element's size in bytes (0: read through load_bits).
    struct Field {
        const char* base;
        ptrdiff_t stride;
        uint8_t kind;
        int vltype;  // for load_bits (the Var itself may move as more are bound)
        uint32_t width;
    };
    static uint8_t field_kind(const Var& v) {
        switch (v.vltype) {
        case VLVT_UINT8: return 1;
        case VLVT_UINT16: return 2;
        case VLVT_UINT32: return 4;
        case VLVT_UINT64: return 8;
        default: return 0;
        }
    }
    std::vector<Field> ck_fields_;
    uint32_t ck_n_ = 0;
    // A bit per bound field (at most 32).
    uint32_t ck_all_fields_ = 0;
    size_t ck_reg_base_ = 0;
    Sig ck_g_[6];
    int32_t ck_dmem_ = -1;
    std::vector<ObsWrite> writes_;
    size_t wq_head_ = 0, wq_len_ = 0;
    uint64_t wq_lost_ = 0;
};

}  // namespace

std::unique_ptr<RtlModel> new_model(uint16_t mutant, bool monitors, bool trace) {
    if (mutant == 0 && trace) return std::make_unique<Impl<Vhsx_trc>>(0);
    if (mutant == 0 && monitors) return std::make_unique<Impl<Vhsx_mon>>(0);
    if (mutant == 0) return std::make_unique<Impl<Vhsx>>(0);
    return std::make_unique<Impl<Vhsx_mut>>(mutant);
}

std::unique_ptr<RtlModel> new_cov_model() { return std::make_unique<Impl<Vhsx_cov>>(0); }

rust::String verilator_version() { return rust::String(Verilated::productVersion()); }

}  // namespace hsx_sim
