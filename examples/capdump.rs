//! Prints what capture analysis finds (development aid): `capdump FILE [KEY...]`.
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("FILE");
    let keys = args.map(|k| casplus::tacacs::Key::from_text(&k)).collect();
    let data = std::fs::read(path).expect("readable file");
    let opts = casplus::capture::Options {
        keys,
        ..Default::default()
    };
    let a = casplus::capture::analyze(&data, &opts);
    println!("{:?} keys_ok {:?}", a.format, a.keys_ok);
    for c in &a.connections {
        println!(
            "conn {} {} -> {} {:?} {:?} frames {}..{} end {:?} keys {:?} sc {:?}",
            c.id,
            c.client,
            c.server,
            c.kind,
            c.role_basis,
            c.first_frame,
            c.last_frame,
            c.end,
            c.keys_ok,
            c.single_connect
        );
    }
    for s in &a.sessions {
        println!(
            "session {} conn {:?} {:#010x} {:?} outcome {:?} concurrent {}",
            s.id, s.conn, s.session_id, s.kind, s.outcome, s.concurrent
        );
        for st in &s.steps {
            println!(
                "    #{} {:?} seq {} {}",
                st.pdu, st.direction, st.seq_no, st.summary
            );
        }
    }
    for p in &a.pdus {
        let dg: Vec<_> = p
            .decoded
            .iter()
            .flat_map(|d| d.diagnostics.iter().map(|x| x.code))
            .collect();
        println!(
            "pdu {} conn {:?} {:?} frames {}..{} seq {} complete {} {} {:?}",
            p.index,
            p.conn,
            p.direction,
            p.frame,
            p.last_frame,
            p.header.seq_no,
            p.complete,
            p.summary,
            dg
        );
    }
    for d in &a.diagnostics {
        println!(
            "{:?} {} {} frame {:?} off {:?}",
            d.severity, d.code, d.message, d.frame, d.offset
        );
    }
}
