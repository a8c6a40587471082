//! Unit tests of the mailbox pool: target parsing, FIFO capacity and WOULDBLOCK,
//! fan-out (every reader, drop and block policies, OVERRUN), taps, BIND resizing,
//! ownership, descriptor limits and releasing a task.

use super::*;

fn pool() -> Pool {
    Pool::new(Limits { max_descriptors: 256, max_handles: 64, default_capacity: 64 })
}
fn msg(b: &[u8]) -> Message {
    Message { flags: 0, src: 1, channel: 0, bytes: b.to_vec() }
}
fn key(s: &str, caller: u8) -> Key {
    parse_target(s.as_bytes(), caller, 8).expect("valid target")
}

#[test]
fn targets_parse_into_namespaces() {
    assert_eq!(key("pid:3", 1), Key::pid(3));
    assert_eq!(key("pid:", 5), Key::pid(5));
    assert_eq!(key("svc:log", 2), Key::svc("log", 2));
    assert_eq!(key("log", 2), Key::svc("log", 2));
    assert_eq!(key("log@4", 2), Key::svc("log", 4));
    assert_eq!(key("svc:a@b@4", 2), Key::svc("a@b", 4));
    let app = key("app:x", 2);
    assert_eq!((app.ns, app.owner, app.name.as_slice()), (Namespace::App, None, &b"x"[..]));
    assert_eq!(key("app:x@3", 2).owner, Some(3));
    let sh = key("shared:bus@whatever", 2);
    assert_eq!((sh.ns, sh.owner, sh.name.as_slice()), (Namespace::Shared, None, &b"bus"[..]));
    assert_eq!(key("shared:bus", 7), sh);
    for bad in [
        "", "svc:", "app:", "shared:", "@3", "x@", "x@0", "x@9", "x@a", "pid:0", "pid:9", "pid:x", "svc:x@-1", "app:@2",
    ] {
        assert_eq!(parse_target(bad.as_bytes(), 1, 8), None, "{bad:?}");
    }
    assert!(parse_target(&[b'a'; 32], 1, 8).is_some());
    assert!(parse_target(&[b'a'; 33], 1, 8).is_none());
    assert_eq!(parse_target(b"x@16", 1, 16).and_then(|k| k.owner), Some(16));
    assert_eq!(parse_target(b"x@17", 1, 16), None);
    assert_eq!(Key::svc("stdio.out", 3).target(), "svc:stdio.out@3");
    assert_eq!(key("app:x", 1).target(), "app:x");
    assert_eq!(key("shared:y@2", 1).target(), "shared:y");
    assert_eq!(Key::pid(4).target(), "pid:4");
}

#[test]
fn fifo_capacity_and_wouldblock() {
    let mut p = pool();
    let a = p.open(1, key("q", 1)).unwrap();
    let b = p.open(2, key("q@1", 2)).unwrap();
    p.send(2, b, msg(&[1; 20])).unwrap(); // 28
    p.send(2, b, msg(&[2; 20])).unwrap(); // 56
    assert_eq!(p.send(2, b, msg(&[3; 1])), Err(status::WOULDBLOCK)); // 65 > 64
    assert_eq!(p.send(2, b, msg(&[3; 57])), Err(status::MSG_TOO_LARGE));
    assert_eq!(p.peek(1, a), Ok((2, 56, 20)));
    assert_eq!(p.take(1, a).unwrap().unwrap().0.bytes, vec![1; 20]);
    assert_eq!(p.take(1, a).unwrap().unwrap().0.bytes, vec![2; 20]);
    assert_eq!(p.take(1, a), Ok(None));
    assert_eq!(p.take(1, 99), Err(status::INVALID_HANDLE));
}

#[test]
fn fanout_every_reader_sees_every_message_and_frees_after_all() {
    let mut p = pool();
    let id = p.bind(1, key("shared:t", 1), 64, mode::FANOUT).unwrap();
    let s = p.open(1, key("shared:t", 1)).unwrap();
    let r1 = p.open(2, key("shared:t", 2)).unwrap();
    let r2 = p.open(3, key("shared:t", 3)).unwrap();
    p.send(1, s, msg(b"a")).unwrap();
    // The sender only ever sent: not a reader.
    assert_eq!(p.peek(1, s).unwrap().0, 0);
    assert_eq!(p.take(2, r1).unwrap().unwrap().0.bytes, b"a");
    assert_eq!(p.info()[0].messages.len(), 1, "r2 has not taken it yet");
    assert_eq!(p.take(3, r2).unwrap().unwrap().0.bytes, b"a");
    assert_eq!(p.info()[0].messages.len(), 0);
    assert_eq!(p.info()[0].used, 0);
    // A handle opened later does not see earlier messages.
    p.send(1, s, msg(b"b")).unwrap();
    let r3 = p.open(4, key("shared:t", 4)).unwrap();
    assert_eq!(p.take(4, r3), Ok(None));
    assert_eq!(p.take(2, r1).unwrap().unwrap().0.bytes, b"b");
    p.close(3, r2).unwrap();
    assert_eq!(p.info()[0].used, 0, "closing the last holder frees the message");
    assert_eq!(id, p.info()[0].id);
}

#[test]
fn fanout_drop_marks_overrun_and_block_policy_refuses() {
    let mut p = pool();
    p.bind(1, key("shared:t", 1), 24, mode::FANOUT).unwrap(); // room for 2 x (4+8)
    let s = p.open(1, key("shared:t", 1)).unwrap();
    let fast = p.open(2, key("shared:t", 2)).unwrap();
    let slow = p.open(3, key("shared:t", 3)).unwrap();
    for b in [b"m1..", b"m2..", b"m3.."] {
        p.send(1, s, msg(b)).unwrap();
        let (m, f) = p.take(2, fast).unwrap().unwrap();
        assert_eq!((m.bytes.as_slice(), f), (&b[..], 0));
    }
    let (m, f) = p.take(3, slow).unwrap().unwrap();
    assert_eq!((m.bytes.as_slice(), f), (&b"m2.."[..], FLAG_OVERRUN));
    let (m, f) = p.take(3, slow).unwrap().unwrap();
    assert_eq!((m.bytes.as_slice(), f), (&b"m3.."[..], 0));
    // FANOUT_BLOCK: a full queue refuses instead.
    p.bind(2, key("shared:t", 1), 24, mode::FANOUT | mode::FANOUT_BLOCK).unwrap();
    p.send(1, s, msg(b"x...")).unwrap();
    p.send(1, s, msg(b"y...")).unwrap();
    assert_eq!(p.send(1, s, msg(b"z...")), Err(status::WOULDBLOCK));
}

#[test]
fn tap_copies_without_consuming() {
    let mut p = pool();
    let r = p.open(1, key("shared:q", 1)).unwrap();
    let t = p.open(2, key("shared:q", 2)).unwrap();
    let s = p.open(3, key("shared:q", 3)).unwrap();
    p.send(3, s, msg(b"before")).unwrap();
    p.tap(2, t, true).unwrap();
    p.send(3, s, msg(b"after")).unwrap();
    assert_eq!(p.peek(2, t), Ok((1, 13, 5)));
    assert_eq!(p.take(2, t).unwrap().unwrap().0.bytes, b"after");
    assert_eq!(p.take(2, t), Ok(None));
    assert_eq!(p.take(1, r).unwrap().unwrap().0.bytes, b"before");
    assert_eq!(p.take(1, r).unwrap().unwrap().0.bytes, b"after");
}

#[test]
fn bind_resize_drops_oldest() {
    let mut p = pool();
    let h = p.open(1, key("q", 1)).unwrap();
    for b in [b"aaaa", b"bbbb", b"cccc", b"dddd"] {
        p.send(1, h, msg(b)).unwrap();
    }
    assert_eq!(p.peek(1, h), Ok((4, 48, 4)));
    p.bind(1, key("q", 1), 30, 0).unwrap();
    assert_eq!(p.peek(1, h), Ok((2, 24, 4)));
    assert_eq!(p.take(1, h).unwrap().unwrap().0.bytes, b"cccc");
}

#[test]
fn only_the_owner_reads_or_binds_an_owned_descriptor() {
    let mut p = pool();
    p.start_task(1).unwrap();
    // pid 2 may open pid 1's private descriptor and send to it ...
    let inbox = p.open(2, key("svc:priv@1", 2)).unwrap();
    p.send(2, inbox, msg(b"secret")).unwrap();
    // ... but not read, peek, tap or re-size it; nothing changes.
    assert_eq!(p.take(2, inbox), Err(status::PERMISSION));
    assert_eq!(p.peek(2, inbox), Err(status::PERMISSION));
    assert_eq!(p.tap(2, inbox, true), Err(status::PERMISSION));
    assert_eq!(p.bind(2, key("svc:priv@1", 2), 9, mode::FANOUT), Err(status::PERMISSION));
    let d = p.info().into_iter().find(|d| d.target == "svc:priv@1").unwrap();
    assert_eq!((d.capacity, d.mode, d.messages.len()), (64, 0, 1));
    // A non-owner BIND does not create the descriptor either.
    assert_eq!(p.bind(2, key("app:later@1", 2), 0, 0), Err(status::PERMISSION));
    assert_eq!(p.lookup(&key("app:later@1", 1)), None);
    // Handle first: a bad handle is INVALID_HANDLE, whoever owns what.
    assert_eq!(p.reader_desc(2, 99), Err(status::INVALID_HANDLE));
    assert_eq!(p.reader_desc(2, inbox), Err(status::PERMISSION));
    // The same holds for pid:N and app:name@P; the owner reads.
    for t in ["pid:1", "app:x@1"] {
        let h2 = p.open(2, key(t, 2)).unwrap();
        p.send(2, h2, msg(b"m")).unwrap();
        assert_eq!(p.take(2, h2), Err(status::PERMISSION), "{t}");
        let h1 = p.open(1, key(t, 1)).unwrap();
        assert_eq!(p.take(1, h1).unwrap().unwrap().0.bytes, b"m", "{t}");
    }
    let own = p.open(1, key("svc:priv", 1)).unwrap();
    assert_eq!(p.peek(1, own), Ok((1, 14, 6)));
    assert_eq!(p.take(1, own).unwrap().unwrap().0.bytes, b"secret");
    assert_eq!(p.bind(1, key("svc:priv", 1), 16, 0).map(|_| ()), Ok(()));
    // Ownerless descriptors are open to all.
    for t in ["app:x", "shared:y"] {
        let h = p.open(3, key(t, 3)).unwrap();
        assert_eq!(p.take(3, h), Ok(None), "{t}");
        assert_eq!(p.peek(3, h), Ok((0, 0, 0)), "{t}");
        assert_eq!(p.tap(3, h, true), Ok(()), "{t}");
        assert!(p.bind(4, key(t, 4), 0, 0).is_ok(), "{t}");
    }
    // The host (host_send) is not checked.
    let id = p.lookup(&key("svc:priv@1", 2)).unwrap();
    assert_eq!(p.host_send(id, msg(b"host")), Ok(()));
}

#[test]
fn limits_give_no_descriptor() {
    let mut p = Pool::new(Limits { max_descriptors: 3, max_handles: 2, default_capacity: 64 });
    p.open(1, key("a", 1)).unwrap();
    p.open(1, key("a", 1)).unwrap();
    assert_eq!(p.open(1, key("a", 1)), Err(status::NO_DESCRIPTOR));
    p.open(2, key("b", 2)).unwrap();
    p.open(2, key("c", 2)).unwrap();
    assert_eq!(p.open(3, key("d", 3)), Err(status::NO_DESCRIPTOR));
    assert_eq!(p.bind(3, key("d", 3), 0, 0), Err(status::NO_DESCRIPTOR));
    assert_eq!(p.live_descriptors(), 3);
}

#[test]
fn release_destroys_owned_and_returns_orphan_waiters() {
    let mut p = pool();
    p.start_task(1).unwrap();
    p.start_task(2).unwrap();
    assert_eq!(p.live_descriptors(), 8);
    let h = p.open(2, key("svc:stdio.in@1", 2)).unwrap();
    let app = p.open(1, key("app:keep@1", 1)).unwrap();
    let id = p.desc_of(2, h).unwrap();
    p.add_waiter(id, Waiter { pid: 2, handle: h, buf: 0, max: 0, info: 0 });
    // Only the owner could RECV there: a stale wait is set up directly.
    let orphans = p.release_task(1);
    assert_eq!(orphans.iter().map(|w| w.pid).collect::<Vec<_>>(), vec![2]);
    assert_eq!(p.take(2, h), Err(status::INVALID_HANDLE));
    assert_eq!(p.live_descriptors(), 5, "pid 2's four + app:keep@1");
    assert_eq!(p.open_handles(1), 0);
    assert!(p.lookup(&key("app:keep@1", 1)).is_some());
    let _ = app;
}
