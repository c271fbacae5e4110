//! Mapping decoded bytes back to the original input.
//!
//! Binary input (pcap, pcapng, raw) is analysed in place: a byte's offset is its input offset.
//! Text input (hex, base64, tcpdump, hex dumps) is first decoded into a byte buffer; for every
//! decoded byte the text offset of its first digit/character is kept, so any byte of any PDU can be
//! traced back to where it was in the paste.

use crate::codec::Span;

/// Decoded-byte offset → input offset.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin<'a> {
    /// For text input: the input offset of each decoded byte. `None`: the identity.
    map: Option<&'a [u32]>,
    /// How many input bytes one decoded byte is written with (2 hex digits, ~1.33 base64 chars).
    width: usize,
}

impl<'a> Origin<'a> {
    /// Offsets are input offsets (binary input).
    pub(crate) const fn identity() -> Self {
        Self {
            map: None,
            width: 1,
        }
    }

    /// Offsets map through `map` (text input); each byte spans `width` input bytes.
    pub(crate) const fn text(map: &'a [u32], width: usize) -> Self {
        Self {
            map: Some(map),
            width,
        }
    }

    /// The input offset of decoded byte `off` (one past the end maps past the last byte).
    pub(crate) fn input(&self, off: usize) -> usize {
        match self.map {
            None => off,
            Some(map) => match map.get(off) {
                Some(&o) => o as usize,
                None => map
                    .last()
                    .map_or(0, |&o| (o as usize).saturating_add(self.width)),
            },
        }
    }

    /// The input span covering decoded bytes `start..start + len`.
    pub(crate) fn span(&self, start: usize, len: usize) -> Span {
        match self.map {
            None => Span::new(start, len),
            Some(_) if len == 0 => Span::new(self.input(start), 0),
            Some(_) => {
                let first = self.input(start);
                let last = self.input(start.saturating_add(len - 1));
                Span {
                    start: first,
                    end: last.saturating_add(self.width).max(first),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_and_text_maps() {
        assert_eq!(Origin::identity().span(5, 3), Span::new(5, 3));
        let map = [0u32, 3, 6];
        let o = Origin::text(&map, 2);
        assert_eq!(o.input(1), 3);
        assert_eq!(o.input(3), 8);
        assert_eq!(o.span(1, 2), Span { start: 3, end: 8 });
        assert_eq!(o.span(2, 0), Span::new(6, 0));
    }
}
