//! The platform's clock and randomness, handed to the engine as values.

use casplus::cas::ticket::Entropy;
use casplus::time::Timestamp;

/// `Date.now()` as a [`Timestamp`].
pub fn now() -> Timestamp {
    // `Date.now()` is an integral number of milliseconds that fits an `i64` exactly.
    #[allow(clippy::cast_possible_truncation)]
    Timestamp(worker::Date::now().as_millis() as i64)
}

/// The runtime's CSPRNG (`crypto.getRandomValues` through `getrandom`'s `wasm_js`
/// backend; the OS generator in native tests).
///
/// Obtain it with [`Csprng::check`], which proves the generator works before any ticket
/// is drawn. [`Entropy::fill`] cannot report an error, so should the generator fail later
/// anyway, `fill` aborts the request (a panic becomes a 500 from the runtime) rather
/// than ever returning predictable bytes: no ticket can come out of a broken generator.
#[derive(Debug)]
pub struct Csprng(());

impl Csprng {
    /// The generator, if it works.
    pub fn check() -> Result<Self, getrandom::Error> {
        getrandom::fill(&mut [0u8; 1])?;
        Ok(Self(()))
    }
}

impl Entropy for Csprng {
    fn fill(&mut self, buf: &mut [u8]) {
        if let Err(e) = getrandom::fill(buf) {
            panic!("CSPRNG failed after a successful check: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csprng_fills_differently_each_time() {
        let mut r = Csprng::check().expect("OS generator");
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        r.fill(&mut a);
        r.fill(&mut b);
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
    }
}
