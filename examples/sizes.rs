//! Prints DTO sizes (development aid).
fn main() {
    use casplus::capture::*;
    println!("Frame {}", size_of::<Frame>());
    println!("Pdu {}", size_of::<Pdu>());
    println!("tacacs::Pdu {}", size_of::<casplus::tacacs::Pdu>());
    println!("SegmentRef {}", size_of::<SegmentRef>());
    println!("Session {}", size_of::<Session>());
    println!("Step {}", size_of::<Step>());
    println!("Diagnostic {}", size_of::<Diagnostic>());
}
