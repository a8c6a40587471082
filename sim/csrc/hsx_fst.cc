// VCD → FST with the FST writer Verilator ships (gtkwave/fstapi.c, zlib). The harness
// writes the merged dump (RTL + reference + marker) as VCD text; `hsx … --wave-format fst`
// converts it here, streaming, so the FST holds exactly the same scopes and values.

#include "hsx-sim/csrc/hsx_sim.h"
#include "hsx-sim/src/ffi.rs.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#define HAVE_LIBPTHREAD
#define FST_CONFIG_INCLUDE "fst_config.h"
#include "gtkwave/fastlz.c"
#include "gtkwave/fstapi.c"
#include "gtkwave/lz4.c"

namespace hsx_sim {

rust::String vcd_to_fst(rust::Str vcd_path, rust::Str fst_path) {
    const std::string in_name(vcd_path);
    const std::string out_name(fst_path);
    std::ifstream in(in_name);
    if (!in) return rust::String(in_name + ": " + std::strerror(errno));
    // The FST writer does not report write errors: check the space first. An FST is
    // smaller than the VCD it is made from (compressed), so the VCD's size is enough.
    struct stat st {};
    if (::stat(in_name.c_str(), &st) != 0) return rust::String(in_name + ": " + std::strerror(errno));
    {
        std::string dir = out_name;
        const size_t slash = dir.rfind('/');
        dir = slash == std::string::npos ? std::string(".") : dir.substr(0, slash + 1);
        struct statvfs vfs {};
        if (::statvfs(dir.c_str(), &vfs) == 0) {
            const unsigned long long avail = static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize;
            if (avail < static_cast<unsigned long long>(st.st_size) + (1u << 20)) {
                return rust::String(out_name + ": " + std::strerror(ENOSPC) + " (" + std::to_string(avail)
                                    + " bytes free, the FST may need up to " + std::to_string(st.st_size) + ")");
            }
        }
    }
    void* fst = fstWriterCreate(out_name.c_str(), 1);
    if (!fst) return rust::String(out_name + ": cannot create the FST file");
    fstWriterSetPackType(fst, FST_WR_PT_LZ4);
    fstWriterSetTimescale(fst, -9);  // 1 ns
    struct Var {
        fstHandle h;
        uint32_t width;
    };
    std::unordered_map<std::string, Var> vars;
    std::string line;
    std::string value;
    bool body = false;
    size_t lineno = 0;
    auto fail = [&](const std::string& why) {
        fstWriterClose(fst);
        std::remove(out_name.c_str());
        return rust::String(in_name + ":" + std::to_string(lineno) + ": " + why);
    };
    while (std::getline(in, line)) {
        ++lineno;
        if (!body) {
            std::istringstream ss(line);
            std::vector<std::string> t;
            for (std::string w; ss >> w;) t.push_back(w);
            if (t.empty()) continue;
            if (t[0] == "$scope" && t.size() >= 3) {
                fstWriterSetScope(fst, FST_ST_VCD_MODULE, t[2].c_str(), nullptr);
            } else if (t[0] == "$upscope") {
                fstWriterSetUpscope(fst);
            } else if (t[0] == "$var" && t.size() >= 6) {
                // $var TYPE WIDTH ID NAME [RANGE] $end
                const uint32_t width = static_cast<uint32_t>(std::stoul(t[2]));
                std::string name = t[4];
                if (t.size() >= 7 && t[5] != "$end") name += " " + t[5];
                const auto it = vars.find(t[3]);
                const fstHandle alias = it == vars.end() ? 0 : it->second.h;
                const fstHandle h = fstWriterCreateVar(fst, FST_VT_VCD_WIRE, FST_VD_IMPLICIT, width,
                                                       name.c_str(), alias);
                if (it == vars.end()) vars.emplace(t[3], Var{h, width});
            } else if (t[0] == "$enddefinitions") {
                body = true;
            }
            continue;
        }
        if (line.empty()) continue;
        const char c = line[0];
        if (c == '#') {
            fstWriterEmitTimeChange(fst, std::stoull(line.substr(1)));
            continue;
        }
        std::string id;
        if (c == 'b' || c == 'B') {
            const size_t sp = line.find(' ');
            if (sp == std::string::npos) return fail("bad vector change");
            value = line.substr(1, sp - 1);
            id = line.substr(sp + 1);
        } else if (c == '0' || c == '1' || c == 'x' || c == 'X' || c == 'z' || c == 'Z') {
            value.assign(1, c);
            id = line.substr(1);
        } else {
            continue;  // $dumpvars, $end, comments
        }
        const auto it = vars.find(id);
        if (it == vars.end()) return fail("unknown identifier " + id);
        const uint32_t w = it->second.width;
        // Left-extend to the declared width (VCD drops leading zeros; x/z extend as such).
        if (value.size() < w) {
            const char pad = (value[0] == 'x' || value[0] == 'X' || value[0] == 'z' || value[0] == 'Z') ? value[0] : '0';
            value.insert(0, w - value.size(), pad);
        } else if (value.size() > w) {
            value.erase(0, value.size() - w);
        }
        fstWriterEmitValueChange(fst, it->second.h, value.c_str());
    }
    fstWriterClose(fst);
    struct stat out {};
    if (::stat(out_name.c_str(), &out) != 0 || out.st_size == 0) {
        return rust::String(out_name + ": the FST writer produced no file");
    }
    return rust::String();
}

}  // namespace hsx_sim
