//! Deflating a file's streams with one compressor: creating one allocates
//! and clears some hundreds of kilobytes of tables, which cost as much as
//! compressing a small stream.

use flate2::{Compress, Compression, FlushCompress, Status};

/// A zlib compressor at the fast level, reset between streams.
pub struct Deflater {
    compress: Compress,
}

impl Default for Deflater {
    fn default() -> Deflater {
        Deflater {
            compress: Compress::new(Compression::fast(), true),
        }
    }
}

impl Deflater {
    /// `data` as a zlib stream (what PDF's FlateDecode reads).
    pub fn deflate(&mut self, data: &[u8]) -> Option<Vec<u8>> {
        self.compress.reset();
        let mut out = Vec::with_capacity(data.len() / 4 + 64);
        loop {
            let consumed = usize::try_from(self.compress.total_in()).ok()?;
            let rest = data.get(consumed..)?;
            match self
                .compress
                .compress_vec(rest, &mut out, FlushCompress::Finish)
            {
                Ok(Status::StreamEnd) => return Some(out),
                Ok(_) => out.reserve(out.capacity().max(64)),
                Err(_) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn inflate(z: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(z)
            .read_to_end(&mut out)
            .expect("a whole zlib stream");
        out
    }

    #[test]
    fn one_deflater_round_trips_many_streams() {
        let mut deflater = Deflater::default();
        let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        for data in [&b""[..], b"BT /F1 12 Tf (Hello) Tj ET", &big, b"again"] {
            let z = deflater.deflate(data).expect("deflates");
            assert_eq!(inflate(&z), data);
        }
    }
}
