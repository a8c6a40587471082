use super::*;

fn key(file: &str, line: u32, page: &str, s: Option<&str>) -> String {
    let mut k = format!("\x01f\x02{file}\x01l\x02{line}\x01page\x02{page}\x01o\x02block");
    if let Some(s) = s {
        k.push_str(&format!("\x01S\x02{s}"));
    }
    k.push_str("\x01h\x02TOP.hsx_top");
    k
}

fn dat(points: &[(String, u64)]) -> String {
    let mut s = format!("{DAT_HEADER}\n");
    for (k, c) in points {
        s.push_str(&format!("C '{k}' {c}\n"));
    }
    s
}

#[test]
fn parse_merge_and_write_round_trip() {
    let a = dat(&[(key("rtl/a.sv", 3, "v_line/a", Some("3-4")), 2), (key("rtl/a.sv", 7, "v_toggle/a", None), 0)]);
    let b = dat(&[(key("rtl/a.sv", 7, "v_toggle/a", None), 5), (key("rtl/a.sv", 3, "v_line/a", Some("3-4")), 1)]);
    let mut x = CodeCoverage::parse(&a, "a").unwrap();
    let y = CodeCoverage::parse(&b, "b").unwrap();
    x.merge(&y);
    let text = x.to_dat();
    let again = CodeCoverage::parse(&text, "x").unwrap();
    assert_eq!(again, x);
    let counts: Vec<u64> = x.points().map(|(_, c)| c).collect();
    assert_eq!(counts, vec![3, 5]);
    // Merging in the other order gives the same bytes.
    let mut z = CodeCoverage::parse(&b, "b").unwrap();
    z.merge(&CodeCoverage::parse(&a, "a").unwrap());
    assert_eq!(z.to_dat(), text);
}

#[test]
fn disjoint_point_sets_merge_by_key() {
    let mut a = CodeCoverage::parse(&dat(&[(key("rtl/a.sv", 1, "v_line/a", None), 1)]), "a").unwrap();
    let b = CodeCoverage::parse(&dat(&[(key("rtl/b.sv", 1, "v_line/b", None), 4)]), "b").unwrap();
    a.merge(&b);
    assert_eq!(a.len(), 2);
    assert_eq!(modules_of(&a).into_iter().collect::<Vec<_>>(), vec!["a".to_string(), "b".to_string()]);
}

#[test]
fn mutant_only_code_is_left_out() {
    let dir = std::env::temp_dir().join(format!("hsx-codecov-mut-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("rtl")).unwrap();
    let src = "module m;\n  if (mut == hsx_pkg::MutX) begin\n    x = 1;\n  end\n  // mutant 9: a state\n  y = 2;\n  z = 3;\nendmodule\n";
    std::fs::write(dir.join("rtl/m.sv"), src).unwrap();
    let mut k_if = key("rtl/m.sv", 2, "v_branch/m", Some("2-3"));
    k_if = k_if.replace("\x01o\x02block", "\x01o\x02if");
    let c = CodeCoverage::parse(
        &dat(&[
            (k_if, 0),
            (key("rtl/m.sv", 6, "v_line/m", Some("6")), 0),
            (key("rtl/m.sv", 7, "v_line/m", Some("7")), 0),
            (key("rtl/m.sv", 1, "v_toggle/m", None).replace("\x01o\x02block", "\x01o\x02mut[3]"), 0),
        ]),
        "m",
    )
    .unwrap();
    let r = Report::of(&c, &dir);
    assert_eq!(r.excluded, 3);
    assert_eq!(r.uncovered.iter().map(|u| u.line).collect::<Vec<_>>(), vec![7]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_waiver_matches_a_line_of_the_rtl() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for w in WAIVERS {
        let text = std::fs::read_to_string(root.join(w.file)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let found = lines.iter().enumerate().any(|(i, l)| {
            l.trim().starts_with(w.line)
                && w.next.map(|n| lines.get(i + 1).is_some_and(|x| x.contains(n))).unwrap_or(true)
        });
        assert!(found, "waiver {:?} matches no line of {} (the RTL changed: update WAIVERS)", w.line, w.file);
    }
}

#[test]
fn bad_lines_are_named() {
    let e = CodeCoverage::parse("# SystemC::Coverage-3\nC 'x' many\n", "f.dat").unwrap_err();
    assert_eq!(e.to_string(), "f.dat:2: the count is not a number");
    let e = CodeCoverage::parse("garbage\n", "f.dat").unwrap_err();
    assert!(e.to_string().starts_with("f.dat:1: expected"), "{e}");
}

#[test]
fn a_line_is_covered_only_when_every_point_on_it_was_hit() {
    let dir = std::env::temp_dir().join(format!("hsx-codecov-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("rtl")).unwrap();
    std::fs::write(dir.join("rtl/m.sv"), "module m;\n  if (a)\n    x = 1;\n  y = 2;\nendmodule\n").unwrap();
    let c = CodeCoverage::parse(
        &dat(&[
            (key("rtl/m.sv", 2, "v_line/m", Some("2,4")), 9),
            (key("rtl/m.sv", 3, "v_branch/m", Some("3")), 0),
            (key("rtl/m.sv", 4, "v_toggle/m", None), 1),
            (key("rtl/m.sv", 5, "v_toggle/m", None), 0),
        ]),
        "m",
    )
    .unwrap();
    let r = Report::of(&c, &dir);
    let m = &r.modules["m"];
    assert_eq!((m.lines, m.lines_hit, m.toggles, m.toggles_hit), (3, 2, 2, 1));
    assert_eq!(r.uncovered.len(), 1);
    assert_eq!((r.uncovered[0].line, r.uncovered[0].text.as_deref()), (3, Some("x = 1;")));
    let t = r.text();
    assert!(t.contains("rtl/m.sv:3: x = 1;"), "{t}");
    assert!(t.contains("66.7 %"), "{t}");
    let _ = std::fs::remove_dir_all(&dir);
}
