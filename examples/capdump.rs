fn main() {
    let path = std::env::args().nth(1).unwrap();
    let data = std::fs::read(path).unwrap();
    let a = casplus::capture::analyze(&data, &Default::default());
    println!("{:?}", a.format);
    for c in &a.connections {
        println!(
            "conn {} {} -> {} {:?} {:?} frames {}..{} end {:?}",
            c.id, c.client, c.server, c.kind, c.role_basis, c.first_frame, c.last_frame, c.end
        );
    }
    for p in &a.pdus {
        println!(
            "pdu {} conn {:?} {:?} frames {}..{} seq {} sid {:08x} len {} complete {} segs {:?}",
            p.index,
            p.conn,
            p.direction,
            p.frame,
            p.last_frame,
            p.header.seq_no,
            p.header.session_id,
            p.header.length,
            p.complete,
            p.segments
                .iter()
                .map(|s| (s.frame, s.frame_offset, s.len))
                .collect::<Vec<_>>()
        );
    }
    for d in &a.diagnostics {
        println!(
            "{:?} {} {} frame {:?} off {:?}",
            d.severity, d.code, d.message, d.frame, d.offset
        );
    }
}
