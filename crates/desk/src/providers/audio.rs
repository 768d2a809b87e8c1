//! Telephone audio: G.711 μ-law (what Twilio Media Streams carry: 8 kHz, 8-bit, 20 ms frames of
//! 160 bytes) to and from 16-bit linear PCM, and sample-rate conversion between the rates speech
//! engines use (8, 16, 22.05, 24 kHz): the first piece of the Media Streams voice path, which
//! is not built yet.

/// Samples per second on the phone line.
pub const LINE_RATE: u32 = 8000;
/// One Media Streams frame: 20 ms at 8 kHz.
pub const FRAME_SAMPLES: usize = 160;

const BIAS: i32 = 0x84;
const CLIP: i32 = 32635;

/// Encodes one linear sample as μ-law (ITU-T G.711): sign, 3-bit segment, 4-bit step, inverted.
pub fn mulaw_encode(sample: i16) -> u8 {
    let s = i32::from(sample);
    let sign = if s < 0 { 0x80 } else { 0 };
    let mag = s.abs().min(CLIP) + BIAS;
    // The segment is the position of the highest set bit above bit 7.
    let segment = (31 - (mag as u32).leading_zeros()).saturating_sub(7).min(7) as i32;
    let step = (mag >> (segment + 3)) & 0x0f;
    !(sign | (segment << 4) | step) as u8
}

/// Decodes one μ-law byte to a linear sample.
pub fn mulaw_decode(byte: u8) -> i16 {
    let u = !byte;
    let sign = u & 0x80;
    let segment = i32::from((u >> 4) & 0x07);
    let step = i32::from(u & 0x0f);
    let mag = (((step << 3) + BIAS) << segment) - BIAS;
    (if sign != 0 { -mag } else { mag }) as i16
}

pub fn decode_mulaw(bytes: &[u8]) -> Vec<i16> {
    bytes.iter().map(|&b| mulaw_decode(b)).collect()
}

pub fn encode_mulaw(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|&s| mulaw_encode(s)).collect()
}

/// Little-endian 16-bit PCM bytes (what speech APIs send and take) to samples; an odd last byte
/// is dropped.
pub fn pcm16_from_bytes(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

pub fn pcm16_to_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// Converts between sample rates with a windowed-sinc low-pass filter (Blackman window), cut
/// off below the lower of the two Nyquist frequencies, so going down to the phone's 8 kHz does
/// not alias and going up does not image. Each output sample is computed directly at its
/// position in the input, so any pair of rates works and the result is the same however the
/// input is split, as long as the whole input is given at once.
pub fn resample(input: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == to || input.is_empty() || from == 0 || to == 0 {
        return input.to_vec();
    }
    let ratio = f64::from(to) / f64::from(from);
    let out_len = ((input.len() as f64) * ratio).round() as usize;
    // Cut-off as a fraction of the input rate's Nyquist frequency, a little under the lower one.
    let cutoff = (ratio.min(1.0)) * 0.95;
    const HALF: f64 = 16.0; // zero crossings each side, in units of the filter's own period
    let half_width = HALF / cutoff;
    // Output sample n sits at n·from/to in the input: an integer part and one of `phases`
    // fractions, which repeat. The filter's taps for each fraction are computed once.
    let g = gcd(from, to);
    let (step, phases) = (u64::from(from / g), u64::from(to / g));
    let table = (phases <= MAX_PHASES).then(|| {
        (0..phases)
            .map(|p| {
                let frac = p as f64 / phases as f64;
                let first = (frac - half_width).ceil() as i64;
                let last = (frac + half_width).floor() as i64;
                let taps: Vec<f64> = (first..=last)
                    .map(|k| {
                        let d = k as f64 - frac;
                        kernel(d * cutoff, d / half_width)
                    })
                    .collect();
                (first, taps)
            })
            .collect::<Vec<_>>()
    });
    let len = input.len() as i64;
    let mut out = Vec::with_capacity(out_len);
    for n in 0..out_len as u64 {
        let pos = n * step;
        let (base, phase) = ((pos / phases) as i64, (pos % phases) as usize);
        let (mut acc, mut norm) = (0.0f64, 0.0f64);
        match &table {
            Some(t) => {
                let (first, taps) = &t[phase];
                for (j, w) in taps.iter().enumerate() {
                    let k = base + first + j as i64;
                    if (0..len).contains(&k) {
                        acc += f64::from(input[k as usize]) * w;
                        norm += w;
                    }
                }
            }
            None => {
                let t = n as f64 / ratio;
                let lo = (t - half_width).ceil().max(0.0) as usize;
                let hi = ((t + half_width).floor() as usize).min(input.len() - 1);
                for (k, &x) in input.iter().enumerate().take(hi + 1).skip(lo) {
                    let d = k as f64 - t;
                    let w = kernel(d * cutoff, d / half_width);
                    acc += f64::from(x) * w;
                    norm += w;
                }
            }
        }
        // Normalising by the weights' sum keeps DC exact even at the edges.
        let y = if norm.abs() > 1e-9 { acc / norm } else { 0.0 };
        out.push(y.round().clamp(-32768.0, 32767.0) as i16);
    }
    out
}

/// Most distinct filter phases kept in a table (22.05 → 8 kHz needs 160).
const MAX_PHASES: u64 = 4096;

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// sinc(x) under a Blackman window over `w` in [-1, 1].
fn kernel(x: f64, w: f64) -> f64 {
    use std::f64::consts::PI;
    if w.abs() >= 1.0 {
        return 0.0;
    }
    let sinc = if x.abs() < 1e-12 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    };
    let a = PI * (w + 1.0);
    let blackman = 0.42 - 0.5 * a.cos() + 0.08 * (2.0 * a).cos();
    sinc * blackman
}

#[cfg(test)]
mod tests;
