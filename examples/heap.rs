//! Heap profile of a big analysis (development aid): writes dhat-heap.json.
#[path = "../tests/capture_gen/mod.rs"]
mod capture_gen;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

fn main() {
    let input = capture_gen::big_pcap(3_300, 0, b"bench-key");
    let opts = casplus::capture::Options {
        keys: vec![casplus::tacacs::Key::new(&b"bench-key"[..])],
        ..Default::default()
    };
    let _p = dhat::Profiler::builder()
        .file_name("/tmp/dhat-heap.json")
        .build();
    let a = casplus::capture::analyze(&input, &opts);
    println!("{} pdus", a.pdus.len());
}
